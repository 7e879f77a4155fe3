"""The DynamoDB adapter's batch writes under throttling, with a fake client: DynamoDB answers a
BatchWriteItem with some items unprocessed when the table is busy; they are tried again with
back-off until written, and a table that never takes them is an error, not a silent loss."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.storage import dynamodb_records
from chalicelib.storage.dynamodb_records import DynamoRecordStore, UnwrittenItems


class ThrottlingClient:
    """Takes a request's first item only, and an item refused ``refusals`` times the next time."""

    def __init__(self, refusals: int):
        self.refusals = refusals
        self.written: dict[tuple[str, str], Any] = {}
        self.calls = 0
        self.largest_request = 0
        self._refused: dict[str, int] = {}  # by sort key
        self._lock = threading.Lock()

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        [(table, requests)] = RequestItems.items()
        with self._lock:
            self.calls += 1
            self.largest_request = max(self.largest_request, len(requests))
            keys = [(r["PutRequest"]["Item"]["pk"], r["PutRequest"]["Item"]["sk"]) for r in requests]
            assert len(set(keys)) == len(keys), "one request named a key twice"
            taken = [
                r for i, (r, key) in enumerate(zip(requests, keys)) if i == 0 or self._refused.get(key[1], 0) >= self.refusals
            ]
            for key in keys:
                self._refused[key[1]] = self._refused.get(key[1], 0) + 1
            for r in taken:
                it = r["PutRequest"]["Item"]
                self.written[(it["pk"], it["sk"])] = it
        rest = [r for r in requests if r not in taken]
        return {"UnprocessedItems": {table: rest} if rest else {}}


class FakeTable:
    name = "fake"

    def __init__(self, client: ThrottlingClient):
        self.meta = type("Meta", (), {"client": client})()


@pytest.fixture(autouse=True)
def no_real_backoff(monkeypatch):
    monkeypatch.setattr(dynamodb_records, "RETRY_BASE_SECONDS", 0.001)


def items(n: int) -> list[dict[str, Any]]:
    return [{"pk": "P", "sk": f"{i:05d}", "n": i, "ratio": i / 10} for i in range(n)]


def test_unprocessed_items_are_tried_again_until_every_item_is_written():
    client = ThrottlingClient(refusals=3)
    DynamoRecordStore(FakeTable(client)).put_many(items(1000) + [{"pk": "P", "sk": "00003", "n": -3}])
    assert len(client.written) == 1000 and client.written[("P", "00003")]["n"] == -3
    assert client.largest_request == 25 and client.calls == 40 * 4  # 40 batches, 3 partial answers each


def test_a_table_that_never_takes_a_batch_is_an_error_not_a_silent_loss():
    client = ThrottlingClient(refusals=dynamodb_records.BATCH_TRIES)
    with pytest.raises(UnwrittenItems, match="unprocessed after"):
        DynamoRecordStore(FakeTable(client)).put_many(items(100))


def test_one_worker_writes_in_order_as_before():
    client = ThrottlingClient(refusals=0)
    DynamoRecordStore(FakeTable(client), batch_workers=1).put_many(items(60))
    assert client.calls == 3 and len(client.written) == 60
