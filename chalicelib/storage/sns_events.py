"""Event publisher adapter on an SNS topic; the event type and store are message attributes, so
subscribers can filter (a store's push channel takes only its own store's events)."""

from __future__ import annotations

import json
from typing import Any


class SNSPublisher:
    def __init__(self, sns_client: Any, topic_arn: str):
        self._sns = sns_client
        self._topic_arn = topic_arn

    def publish(self, event_type: str, payload: dict[str, Any]) -> None:
        attributes = {"type": {"DataType": "String", "StringValue": event_type}}
        if payload.get("store_id"):
            attributes["store_id"] = {"DataType": "String", "StringValue": str(payload["store_id"])}
        self._sns.publish(
            TopicArn=self._topic_arn,
            Message=json.dumps({"type": event_type, **payload}),
            MessageAttributes=attributes,
        )
