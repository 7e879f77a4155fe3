"""The store list: id, name, region, cluster and timezone, imported from JSON or CSV.

Imports are upserts (a store list is updated by sending it again). Each store is one record,
listed by id, by region (index gsi1) or by cluster (index gsi2): campaigns target them so.
"""

from __future__ import annotations

import builtins
import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.core.auth import Caller
from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import CLIENT_ID_PATTERN
from chalicelib.core.validation import describe, problems
from chalicelib.services.paging import check_limit, query_page
from chalicelib.services.store_directory import StoreDirectory
from chalicelib.storage import layout
from chalicelib.storage.ports import RecordStore

MAX_IMPORT = 10000
MAX_PAGE = 500
_ID = re.compile(CLIENT_ID_PATTERN)


class StoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: str = Field(pattern=CLIENT_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(pattern=CLIENT_ID_PATTERN)
    cluster: str = Field(default="", max_length=64)
    timezone: str = "Europe/Rome"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}: use an IANA name such as Europe/Rome") from None
        return value


def _rows(body: str | bytes, content_type: str) -> list[Any]:
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise InvalidInput("the store list is not UTF-8 text: save it as UTF-8", code="invalid_encoding") from None
    if content_type.startswith("text/csv"):
        return list(csv.DictReader(io.StringIO(text)))
    try:
        rows = json.loads(text)
    except ValueError as err:
        raise InvalidInput(f"the body is neither valid JSON nor sent as text/csv ({err})", code="invalid_json") from None
    if not isinstance(rows, list):
        raise InvalidInput("send a JSON list of stores (or CSV with Content-Type: text/csv)")
    return rows


class Stores:
    def __init__(self, records: RecordStore):
        self._records = records

    def import_list(self, body: str | bytes, content_type: str) -> dict[str, Any]:
        """Validate every row first (errors name the row and field), then write them all."""
        rows = _rows(body, content_type)
        if not rows:
            raise InvalidInput("the store list is empty")
        if len(rows) > MAX_IMPORT:
            raise InvalidInput(f"send at most {MAX_IMPORT} stores at a time")
        stores, found = [], []
        for index, row in enumerate(rows):
            try:
                stores.append(StoreIn.model_validate(row))
            except ValidationError as err:
                found.extend(problems(err, f"stores[{index}]"))
        if found:
            raise InvalidInput(describe(found[:20]), code="invalid_stores")
        # Only the new and changed stores are written, with the set-up picker's directory (which
        # reads these, never the whole list): a list sent again to change ten stores writes ten.
        StoreDirectory(self._records).import_stores(
            [
                {
                    "pk": layout.store_key(store.store_id)[0],
                    "sk": layout.store_key(store.store_id)[1],
                    **layout.store_index(store.store_id, store.region, store.cluster),
                    **store.model_dump(),
                }
                for store in stores
            ]
        )
        return {"imported": len(stores)}

    def get(self, store_id: str) -> dict[str, Any] | None:
        item = self._records.get(*layout.store_key(store_id))
        return _public(item) if item else None

    def list(self, caller: Caller, region: str | None = None, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """The stores, or a region's; a merchandiser lists only its own regions' stores."""
        check_limit(limit, MAX_PAGE)
        if region is not None and not _ID.match(region):
            raise InvalidInput(f"region {region!r} is not a valid region id")
        region = caller.listing_region(region, "may list the stores of its own regions only: add ?region=")
        if region:
            page = query_page(
                self._records, layout.region_partition(region), index="gsi1", limit=limit, maximum=MAX_PAGE, cursor=cursor
            )
        else:
            page = query_page(self._records, layout.STORES, limit=limit, maximum=MAX_PAGE, cursor=cursor)
        return {"stores": [_public(i) for i in page.items], "cursor": page.cursor}

    def matching(
        self, regions: Sequence[str], clusters: Sequence[str], store_ids: Sequence[str]
    ) -> tuple[builtins.list[dict[str, Any]], builtins.list[str]]:
        """Every store in the regions, the clusters or the list (each once), and the listed ids
        that are not in the store list."""
        found: dict[str, dict[str, Any]] = {}
        for index, partition in [("gsi1", layout.region_partition(r)) for r in regions] + [
            ("gsi2", layout.cluster_partition(c)) for c in clusters
        ]:
            cursor = None
            while True:
                page = self._records.query(partition, index=index, limit=500, cursor=cursor)
                found.update((i["store_id"], _public(i)) for i in page.items)
                if not (cursor := page.cursor):
                    break
        unknown = []
        for store_id in store_ids:
            if store_id not in found:
                store = self.get(store_id)
                if store is None:
                    unknown.append(store_id)
                else:
                    found[store_id] = store
        return sorted(found.values(), key=lambda s: s["store_id"]), unknown


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return layout.without_keys(item)
