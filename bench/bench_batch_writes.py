"""Benchmark: the wall time of a 10,000-store first import's batch writes on DynamoDB, one
BatchWriteItem at a time (as boto3's batch writer sends them: the adapter before this change)
against the adapter's bounded pool of concurrent requests (chalicelib/storage/dynamodb_records.py).

    .venv/bin/python bench/bench_batch_writes.py [--stores 10000] [--latency-ms 8] [--table-rate 0]

The import runs once on a scratch SQLite store to record what it asks of the record store (each
put_many's items; every other request counted: bench/record_calls.py). The put_many calls are then
replayed through DynamoRecordStore on a fake DynamoDB client that sleeps ``--latency-ms`` a request
(a realistic round trip from Lambda in the table's region), timed both ways in this run; the other
requests, sequential either way, are estimated at the same latency each. ``--table-rate N``: the
fake table takes at most N items a second and answers the rest as UnprocessedItems (a new on-demand
table starts at 4,000 write units a second), which the adapter tries again with back-off.
No assertion on time: the figures are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import hq_dataset  # noqa: E402
from record_calls import CountingRecords  # noqa: E402

from chalicelib.services.stores import Stores  # noqa: E402
from chalicelib.storage.dynamodb_records import BATCH_WORKERS, DynamoRecordStore  # noqa: E402
from chalicelib.storage.sqlite_records import SQLiteRecordStore  # noqa: E402

API_GATEWAY_LIMIT_S = 29.0


class RecordingRecords(CountingRecords):
    """Counts every request and keeps each put_many's items, to replay them on DynamoDB."""

    def __init__(self, records: Any):
        super().__init__(records)
        self.batches: list[list[dict[str, Any]]] = []

    def put_many(self, items: list[dict[str, Any]]) -> None:
        self.batches.append(items)
        super().put_many(items)


class SlowDynamo:
    """BatchWriteItem that takes ``latency`` seconds a request and, with ``rate``, at most that
    many items a second (a token bucket; the rest come back unprocessed)."""

    def __init__(self, latency: float, rate: float = 0.0):
        self.latency, self.rate = latency, rate
        self.requests = self.items = self.unprocessed = 0
        self._lock = threading.Lock()
        self._tokens, self._at = rate, time.monotonic()

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        [(table, requests)] = RequestItems.items()
        time.sleep(self.latency)
        with self._lock:
            self.requests += 1
            taken = len(requests)
            if self.rate:
                now = time.monotonic()
                self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate)
                self._at = now
                taken = min(taken, int(self._tokens))
                self._tokens -= taken
            self.items += taken
            self.unprocessed += len(requests) - taken
        rest = requests[taken:]
        return {"UnprocessedItems": {table: rest} if rest else {}}


class FakeTable:
    name = "bench"

    def __init__(self, client: SlowDynamo):
        self.meta = type("Meta", (), {"client": client})()


def record_import(stores: list[dict[str, str]]) -> RecordingRecords:
    with tempfile.TemporaryDirectory() as folder:
        recording = RecordingRecords(SQLiteRecordStore(Path(folder) / "records.db"))
        Stores(recording).import_list(json.dumps(stores), "application/json")  # type: ignore[arg-type]
    return recording


def replay(batches: list[list[dict[str, Any]]], workers: int, latency: float, rate: float) -> tuple[float, SlowDynamo]:
    client = SlowDynamo(latency, rate)
    store = DynamoRecordStore(FakeTable(client), batch_workers=workers)
    started = time.perf_counter()
    for items in batches:
        store.put_many(items)
    return time.perf_counter() - started, client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=10000)
    parser.add_argument("--latency-ms", type=float, default=8.0)
    parser.add_argument("--table-rate", type=float, default=0.0, help="items a second the table takes (0: no limit)")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    stores = hq_dataset.make_stores(hq_dataset.Spec(scale=args.stores / hq_dataset.STORES_AT_SCALE_1))
    recording = record_import(stores)
    other = recording.reads() + recording.writes() - recording.requests["batch_write"]
    items = sum(len(b) for b in recording.batches)
    print(
        f"first import of {len(stores)} stores: {items} items in {len(recording.batches)} put_many calls "
        f"({recording.requests['batch_write']} BatchWriteItem requests); {other} other requests"
    )
    rate = f"{args.table_rate:.0f} items/s" if args.table_rate else "no limit"
    print(f"fake DynamoDB: {args.latency_ms:g} ms a request, table rate {rate}")
    print(f"{'':34} {'requests':>9} {'unproc.':>8} {'batch writes':>13} {'whole import (est.)':>20}")
    for label, workers in (("before: one request at a time", 1), (f"after: {BATCH_WORKERS} at once", BATCH_WORKERS)):
        wall, client = replay(recording.batches, workers, latency, args.table_rate)
        total = wall + other * latency
        print(
            f"{label:34} {client.requests:>9} {client.unprocessed:>8} {wall:>12.2f}s {total:>12.2f}s"
            f" ({total / API_GATEWAY_LIMIT_S:.0%} of 29 s)"
        )


if __name__ == "__main__":
    main()
