"""The events a store is told about (an analysis finished, a review was decided), read back.

Locally they wait in the outbox, which the pages read; in AWS they leave through the SNS topic to
its subscribers and there is nothing to read here (no feed: the answer says where they went).
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.auth import Caller, Forbidden
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.services.stores import Stores
from chalicelib.storage.ports import EventFeed

PAGE_SIZE = 50
FIELDS = ("type", "at", "payload")


class Notifications:
    def __init__(self, feed: EventFeed | None, stores: Stores):
        self._feed = feed
        self._stores = stores

    def recent(self, caller: Caller, store_id: str | None = None, cursor: str | None = None) -> dict[str, Any]:
        """Newest first, every store's (HQ) or one store's (?store_id=); a store or merchandiser
        reads its own store's only."""
        if self._feed is None:
            raise NotFound("in AWS the events go to the SNS topic's subscribers (email, push), not to this API", code="not_found")
        if caller.role != "hq" and (store_id is None or not caller.may_see(store_id, self._region(store_id))):
            raise Forbidden(
                f"{caller.describe()} reads the notifications of its own store(s): add ?store_id=", code="out_of_scope"
            )
        try:
            page = self._feed.recent(store_id=store_id, limit=PAGE_SIZE, cursor=cursor)
        except ValueError as err:
            raise InvalidInput(str(err), code="invalid_cursor") from None
        return {"notifications": [{k: event[k] for k in FIELDS} for event in page.items], "cursor": page.cursor}

    def _region(self, store_id: str) -> str | None:
        store = self._stores.get(store_id)
        return store["region"] if store else None
