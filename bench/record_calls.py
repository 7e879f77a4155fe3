"""A record store that counts what is asked of it, in DynamoDB's requests: each get, query, put,
update, delete and transaction is one request; put_many is one BatchWriteItem per 25 items (the
DynamoDB adapter's batch writer). Used by bench_store_import.py; no clock involved."""

from __future__ import annotations

from collections import Counter
from typing import Any

BATCH = 25  # items per BatchWriteItem


class CountingRecords:
    def __init__(self, records: Any):
        self._records = records
        self.requests: Counter[str] = Counter()
        self.items: Counter[str] = Counter()  # items read (get, query) and written (every write)

    def reads(self) -> int:
        return self.requests["get"] + self.requests["query"]

    def writes(self) -> int:
        return sum(n for kind, n in self.requests.items() if kind not in ("get", "query"))

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        self.requests["get"] += 1
        item = self._records.get(pk, sk)
        self.items["read"] += item is not None
        return item

    def query(self, pk: str, **kwargs: Any) -> Any:
        self.requests["query"] += 1
        page = self._records.query(pk, **kwargs)
        self.items["read"] += len(page.items)
        return page

    def put(self, item: dict[str, Any], **kwargs: Any) -> None:
        self.requests["put"] += 1
        self.items["written"] += 1
        self._records.put(item, **kwargs)

    def put_many(self, items: list[dict[str, Any]]) -> None:
        self.requests["batch_write"] += -(-len(items) // BATCH)
        self.items["written"] += len(items)
        self._records.put_many(items)

    def update(self, pk: str, sk: str, **kwargs: Any) -> dict[str, Any]:
        self.requests["update"] += 1
        self.items["written"] += 1
        return self._records.update(pk, sk, **kwargs)

    def transact(self, ops: list[Any]) -> None:
        self.requests["transact"] += 1
        self.items["written"] += len(ops)
        self._records.transact(ops)

    def delete(self, pk: str, sk: str) -> None:
        self.requests["delete"] += 1
        self.items["written"] += 1
        self._records.delete(pk, sk)
