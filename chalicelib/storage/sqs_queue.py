"""Work queue adapter on SQS. The dead-letter queue and ``maxReceiveCount`` live in the queue's
redrive policy (set by the infrastructure, or by ``create_queues`` for the emulator)."""

from __future__ import annotations

import functools
import json
from typing import Any

from chalicelib.storage.ports import Message, checked_delay


def dead_letter_queue_name(queue_name: str) -> str:
    return f"{queue_name}-dlq"


class SQSWorkQueue:
    def __init__(self, sqs_client: Any, queue_name: str):
        self._sqs = sqs_client
        self._name = queue_name

    # The analyzer never calls SQS itself (the event source mapping does), so the URLs are
    # looked up only when a command or a test uses the queue.
    @functools.cached_property
    def _url(self) -> str:
        return self._sqs.get_queue_url(QueueName=self._name)["QueueUrl"]

    @functools.cached_property
    def _dlq_url(self) -> str:
        return self._sqs.get_queue_url(QueueName=dead_letter_queue_name(self._name))["QueueUrl"]

    @classmethod
    def create_queues(cls, sqs_client: Any, name: str, visibility_timeout: int, max_receives: int) -> SQSWorkQueue:
        """Create the queue and its DLQ (for the emulator in tests; in AWS the infrastructure does)."""
        dlq_url = sqs_client.create_queue(
            QueueName=dead_letter_queue_name(name), Attributes={"VisibilityTimeout": str(visibility_timeout)}
        )["QueueUrl"]
        dlq_arn = sqs_client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs_client.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(visibility_timeout),
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}),
            },
        )
        return cls(sqs_client, name)

    def send(self, body: str, delay_seconds: int = 0) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body, DelaySeconds=checked_delay(delay_seconds))

    def _receive_from(self, url: str, max_messages: int) -> list[Message]:
        response = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(max_messages, 10),
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [
            Message(
                body=m["Body"],
                receipt=m["ReceiptHandle"],
                receive_count=int(m["Attributes"]["ApproximateReceiveCount"]),
            )
            for m in response.get("Messages", [])
        ]

    def receive(self, max_messages: int = 1) -> list[Message]:
        return self._receive_from(self._url, max_messages)

    def ack(self, message: Message) -> None:
        self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message.receipt)

    def dead_letters(self, max_messages: int = 10) -> list[Message]:
        return self._receive_from(self._dlq_url, max_messages)

    def ack_dead_letter(self, message: Message) -> None:
        self._sqs.delete_message(QueueUrl=self._dlq_url, ReceiptHandle=message.receipt)

    def redrive(self) -> int:
        moved = 0
        while batch := self._receive_from(self._dlq_url, 10):
            for message in batch:
                self._sqs.send_message(QueueUrl=self._url, MessageBody=message.body)
                self._sqs.delete_message(QueueUrl=self._dlq_url, ReceiptHandle=message.receipt)
                moved += 1
        return moved
