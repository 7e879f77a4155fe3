"""The event publisher contract: the local outbox and SNS carry the same event."""

import json
import time

import boto3

from chalicelib.storage.outbox_events import OutboxPublisher


def received_from_topic(topic_arn, publish):
    """Publish with an SQS queue subscribed to the topic, and return what the queue received."""
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName=topic_arn.rsplit(":", 1)[-1] + "-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    publish()
    deadline = time.time() + 10
    while time.time() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            return json.loads(messages[0]["Body"])
    raise AssertionError("nothing reached the topic's subscriber")


def test_an_event_reaches_its_listeners(svc, backend):
    event = {"submission_id": "sub_X", "store_id": "S001", "decision": "retake", "comment": "Poster is crooked."}
    if backend == "local":
        svc.events.publish("review.decided", event)
        outbox = OutboxPublisher(svc.records)
        [mine] = outbox.recent(store_id="S001").items
        assert mine["type"] == "review.decided" and mine["payload"] == event
        assert outbox.recent(store_id="S002").items == []
    else:
        body = received_from_topic(svc.settings.topic_arn, lambda: svc.events.publish("review.decided", event))
        assert body == {"type": "review.decided", **event}
