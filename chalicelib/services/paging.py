"""Pages of a listing: one check of ``limit`` and one translation of a bad ``cursor``.

Every list answer is ``{<items>: [...], "cursor": <opaque string or null>}``; a client passes the
cursor back unchanged for the next page.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import InvalidInput
from chalicelib.storage.ports import Page, RecordStore

BAD_CURSOR = "invalid cursor: pass back the cursor of the previous page unchanged"


def check_limit(limit: int, maximum: int) -> int:
    if not 1 <= limit <= maximum:
        raise InvalidInput(f"limit must be between 1 and {maximum}")
    return limit


def bad_cursor(detail: str | None = None) -> InvalidInput:
    return InvalidInput(detail or BAD_CURSOR, code="invalid_cursor")


def query_page(records: RecordStore, pk: str, *, limit: int, maximum: int, **query: Any) -> Page:
    """One page of a key or index query, with ``limit`` checked against ``maximum`` and a cursor
    the store cannot read answered as a 400."""
    check_limit(limit, maximum)
    try:
        return records.query(pk, limit=limit, **query)
    except ValueError as err:
        raise bad_cursor(str(err)) from None
