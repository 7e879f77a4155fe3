"""Event publisher adapter for the local backend: an outbox of records the pages can read."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from typing import Any

from chalicelib.storage.ports import Page, RecordStore

OUTBOX = "OUTBOX"


class OutboxPublisher:
    def __init__(self, records: RecordStore):
        self._records = records

    def publish(self, event_type: str, payload: dict[str, Any]) -> None:
        at = datetime.now(timezone.utc).isoformat()
        store = payload.get("store_id", "")
        self._records.put({
            "pk": OUTBOX,
            "sk": f"{at}#{secrets.token_hex(4)}",
            # Per store too, so a store's page reads only its own notifications.
            "gsi1pk": f"OUTBOX#{store}",
            "gsi1sk": at,
            "type": event_type,
            "at": at,
            "payload": json.loads(json.dumps(payload)),
        })

    def recent(self, store_id: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
        if store_id:
            return self._records.query(f"OUTBOX#{store_id}", index="gsi1", limit=limit, cursor=cursor, descending=True)
        return self._records.query(OUTBOX, limit=limit, cursor=cursor, descending=True)
