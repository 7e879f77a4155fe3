"""The S3 ObjectCreated notification: what the analysis queue carries.

In AWS the bucket sends it to SQS; the local blob store sends the same shape to the local queue,
so one parser serves both.
"""

from __future__ import annotations

import json
from urllib.parse import quote_plus, unquote_plus


def object_created_event(bucket: str, key: str, size: int) -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Post",
                    "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key), "size": size}},
                }
            ]
        }
    )


def created_keys(body: str) -> list[str]:
    """The object keys an S3 notification reports as created (S3 URL-encodes them).

    S3's own "s3:TestEvent", sent when a notification is configured, carries none.
    """
    event = json.loads(body)
    return [
        unquote_plus(record["s3"]["object"]["key"])
        for record in event.get("Records", [])
        if str(record.get("eventName", "")).startswith("ObjectCreated")
    ]
