"""Event publisher adapter for the local backend: an outbox of records the pages can read (it is
also the EventFeed the API's /notifications reads)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from chalicelib.storage import layout
from chalicelib.storage.ports import Page, RecordStore


class OutboxPublisher:
    def __init__(self, records: RecordStore):
        self._records = records

    def publish(self, event_type: str, payload: dict[str, Any]) -> None:
        at = datetime.now(UTC).isoformat()
        self._records.put(
            {
                "pk": layout.OUTBOX,
                "sk": layout.outbox_sk(at, secrets.token_hex(4)),
                **layout.outbox_index(payload.get("store_id", ""), at),
                "type": event_type,
                "at": at,
                "payload": json.loads(json.dumps(payload)),
            }
        )

    def recent(self, store_id: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
        if store_id:
            return self._records.query(
                layout.outbox_store_partition(store_id), index="gsi1", limit=limit, cursor=cursor, descending=True
            )
        return self._records.query(layout.OUTBOX, limit=limit, cursor=cursor, descending=True)
