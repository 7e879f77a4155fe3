"""Benchmark: HQ's compliance queries and the gallery at the sizing case, against a naive full scan.

The sizing case of docs/ARCHITECTURE.md, the indexed paths and a naive baseline in the same run, on the
local backend (SQLite) and on the DynamoDB adapter (against the moto emulator).

    .venv/bin/python bench/bench_hq_queries.py [--scale 1] [--backend local|dynamodb|both]
        [--runs 30] [--naive-runs 3] [--naive-budget 150] [--dynamodb-scale S]
        [--dynamodb-load copy|real] [--dynamodb-runs 10] [--rebuild]

Data (bench/hq_dataset.py): 5,000 stores x --scale in 10 regions, 52 weekly campaigns, about
410,000 finished photos at scale 1, loaded through the real code paths (store import, campaign
publish with Analytics.add_targets, Analytics.record after every result and every review). The
local dataset is cached under build/bench-hq/<key>/ (the key holds the dataset version, scale,
seed and a hash of the code that shapes the records): the first build at scale 1 takes about a
quarter of an hour on 2 cores, a rerun starts at once.

- indexed: the services as the API calls them (chalicelib.services.analytics.Analytics, the gallery of
  chalicelib.services.review.Review for an HQ caller): key and index queries over maintained counters.
  p50 and p95 over --runs calls (after one warm-up call), rotating over campaigns, regions and
  stores. Then a few more calls with the record store's reads counted: requests, items, bytes and
  the read units DynamoDB would charge for the same items.
- naive:   the same answers from a full scan of every submission record, plus the store list and
  the campaign list, recomputed without the analytics code. SQLite: every submission row read,
  a campaign/store/region filter applied by json_extract (kinder than decoding every row in
  Python), the rest decoded and aggregated in Python. DynamoDB: a paginated Scan with a
  FilterExpression. Up to --naive-runs runs, no new run after --naive-budget seconds.
- checks:  each naive answer against the indexed one for the same arguments, and one extra scan
  against every campaign's compliance rate and missing-store count (the counters, every page of
  missing(), the scan); a mismatch is printed loudly and the exit status is 1.
- 3 years: docs/ARCHITECTURE.md keeps 3 years; the queries whose reads grow with history (trends, agreement
  network-wide, store) are also timed on the dataset's aggregates and targets written 3 times.

DynamoDB: the emulator runs in its own process. ``--dynamodb-load copy`` (the default) writes the
records of the SQLite dataset above (targets and aggregates as the real code computed them)
into the table with the adapter's put_many (batch writes); ``real`` runs the real code paths
against the emulator. moto is slow at this (see DYNAMODB_WHY): the DynamoDB suite runs at a
small scale by default, and its latencies are the emulator's, not DynamoDB's; the requests and
items read per call, counted on the wire, are what DynamoDB would do.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import hq_dataset
from measure import ROOT, percentile

from chalicelib.core.auth import Caller  # noqa: E402  (measure puts the project on the path)
from chalicelib.storage import layout  # noqa: E402

HQ = Caller(username="bench", role="hq")  # the whole network's numbers

# Never reach a real AWS account: fake credentials, and every client points at the emulator.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-1", AWS_REGION="eu-west-1"
)

DYNAMODB_SCALE = 0.01
DYNAMODB_WHY = (
    "moto 5.2 writes ~180 of these items a second and serialises responses field by field (tens of ms per "
    "submission record returned), and it answers every Query and every Scan page by sorting the whole table: "
    "the copy alone would take ~70 min at scale 1 (760k items), and the naive scans grow with the square of the "
    "table; at 0.01 the whole DynamoDB suite takes ~10 min"
)
TARGET_P95_MS = 100.0  # docs/ARCHITECTURE.md: gallery and HQ queries at the sizing case, local backend
DEFAULT_CACHE = ROOT / "build" / "bench-hq"
FINISHED = ("done", "rejected", "error")
STATE_ORDER = ("missing", "pass", "fail", "review", "retake")
NOT_IN = ("missing", "retake")
FAIL_PAGE_STATE = "fail"
PAGE = 100
GALLERY_PAGE = 50
COUNTED_CALLS = 5  # calls of each query whose reads are counted (after the timed ones)


# --- the local dataset (built once, cached) ----------------------------------------------------------


def local_dataset(spec: hq_dataset.Spec, cache: Path, rebuild: bool) -> tuple[Path, dict[str, Any]]:
    """The data folder of the dataset for ``spec`` and its manifest; built if not cached."""
    from chalicelib.core.settings import Settings
    from chalicelib.wiring import build_services

    folder = cache / spec.key()
    manifest_path = folder / "manifest.json"
    if manifest_path.exists() and not rebuild:
        manifest = json.loads(manifest_path.read_text())
        manifest["cached"] = True
        return folder / "data", manifest
    prune(cache, spec)
    shutil.rmtree(folder, ignore_errors=True)
    building = cache / f".building-{spec.key()}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    print(f"building the dataset (scale {spec.scale:g}) in {building} through the real code paths ...", flush=True)
    svc = build_services(Settings(data_dir=building / "data", public_url="http://127.0.0.1:8000"))
    built = hq_dataset.build(svc, spec, log=lambda line: print(line, flush=True))
    db = sqlite3.connect(building / "data" / "records.sqlite3")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    manifest = {
        "key": spec.key(),
        "scale": spec.scale,
        "seed": spec.seed,
        "built_at": datetime.now(UTC).isoformat(),
        "method": "real code paths (Stores.import_list, Campaigns.put/publish -> Analytics.add_targets, "
        "put_many of the finished submissions, Analytics.record per result and per review)",
        **built,
    }
    (building / "manifest.json").write_text(json.dumps(manifest, indent=1))
    building.rename(folder)
    manifest["cached"] = False
    return folder / "data", manifest


def prune(cache: Path, spec: hq_dataset.Spec) -> None:
    """Before a build: drop this scale's datasets made by other code (they are GBs at scale 1)
    and the half-built folders of runs that are no longer alive."""
    for old in cache.glob(f"v*-scale{spec.scale:g}-seed{spec.seed}-*"):
        if old.name != spec.key():
            shutil.rmtree(old, ignore_errors=True)
    for half in cache.glob(".building-*"):
        pid = half.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(half, ignore_errors=True)


def _prefix_sql(column: str, prefix: str) -> str:
    """A key-prefix test SQLite can answer from its index: prefix <= key < prefix with its last character + 1."""
    return f"{column} >= '{prefix}' AND {column} < '{prefix[:-1]}{chr(ord(prefix[-1]) + 1)}'"


_SUBMISSION_PK = _prefix_sql("pk", layout.SUBMISSION_PREFIX)
KINDS_SQL = f"""
SELECT CASE WHEN {_SUBMISSION_PK} AND sk = '{layout.submission_key("")[1]}' THEN 'submissions'
            WHEN {_SUBMISSION_PK} THEN 'audit items'
            WHEN {_prefix_sql("sk", layout.TARGET_PREFIX)} THEN 'targets'
            WHEN {_prefix_sql("pk", "AGG#")} THEN 'aggregates'
            WHEN pk = '{layout.STORES}' THEN 'stores'
            WHEN {_prefix_sql("pk", layout.campaign_key("")[0])} THEN 'campaigns, guidelines'
            ELSE 'other' END AS kind, COUNT(*), SUM(LENGTH(item)), MAX(LENGTH(item))
FROM records GROUP BY kind ORDER BY COUNT(*) DESC
"""


def describe_dataset(data_dir: Path) -> list[tuple[str, int, int, int]]:
    db = sqlite3.connect(f"file:{data_dir / 'records.sqlite3'}?mode=ro", uri=True)
    try:
        return db.execute(KINDS_SQL).fetchall()
    finally:
        db.close()


# --- the emulator, in its own process ----------------------------------------------------------------

_MOTO = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


class Emulator:
    def __init__(self) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="vetrina-bench-moto-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _MOTO],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=dict(os.environ),
        )
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the emulator did not start; see {self.log.name}")
        port = int(line)
        self.endpoint = f"http://127.0.0.1:{port}"

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(timeout=30)
        self.log.close()
        os.unlink(self.log.name)


class Meter:
    """DynamoDB requests, items read (ScannedCount, or 1 for a GetItem that found one) and
    response bytes, counted from every client of boto3's default session."""

    def __init__(self) -> None:
        self.requests = self.items = self.bytes = 0
        self._lock = threading.Lock()

    def attach(self) -> None:
        import boto3

        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("after-call.dynamodb", self._count)

    def _count(self, http_response: Any = None, parsed: Any = None, **_: Any) -> None:
        parsed = parsed or {}
        read = parsed.get("ScannedCount", parsed.get("Count", 1 if "Item" in parsed else 0))
        with self._lock:
            self.requests += 1
            self.items += read
            self.bytes += len(getattr(http_response, "content", b"") or b"")

    def snapshot(self) -> tuple[int, int, int]:
        return self.requests, self.items, self.bytes


KB4 = 4096
PAGE_BYTES = 2**20  # DynamoDB returns at most 1 MB of items per Query or Scan request


@contextmanager
def counting_reads(records: Any) -> Iterator[dict[str, float]]:
    """Count what the services read from a record store while inside: calls, items, bytes (as
    JSON) and the read capacity DynamoDB would charge for the same items (GetItem consistent, as
    the adapter asks: 1 unit per 4 KB; Query eventually consistent: half a unit per 4 KB, and a
    request per MB). Wraps the instance's methods and puts them back after."""
    tally = {"requests": 0, "items": 0, "bytes": 0, "rcu": 0.0}
    get, query = records.get, records.query

    def counted_get(pk: str, sk: str) -> Any:
        item = get(pk, sk)
        size = len(json.dumps(item)) if item else 0
        tally["requests"] += 1
        tally["items"] += item is not None
        tally["bytes"] += size
        tally["rcu"] += max(1, math.ceil(size / KB4))
        return item

    def counted_query(pk: str, **kwargs: Any) -> Any:
        page = query(pk, **kwargs)
        size = sum(len(json.dumps(i)) for i in page.items)
        tally["requests"] += max(1, math.ceil(size / PAGE_BYTES))
        tally["items"] += len(page.items)
        tally["bytes"] += size
        tally["rcu"] += max(1, math.ceil(size / KB4)) / 2
        return page

    records.get, records.query = counted_get, counted_query
    try:
        yield tally
    finally:
        del records.get, records.query


def dynamodb_services(emulator: Emulator, name: str) -> Any:
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import create_aws_resources

    from chalicelib.core.settings import Settings
    from chalicelib.wiring import build_services

    os.environ["AWS_ENDPOINT_URL"] = emulator.endpoint
    env = create_aws_resources(name)
    return build_services(Settings.from_env(env)), env


def copy_into(data_dir: Path, table_name: str, threads: int = 3) -> int:
    """Every record of the SQLite dataset into the table, with the adapter's put_many (batch
    writes of 25), from a few threads (one boto3 session each)."""
    import queue

    import boto3

    from chalicelib.storage.dynamodb_records import DynamoRecordStore

    chunks: queue.Queue = queue.Queue(maxsize=threads * 2)
    errors: list[BaseException] = []

    def writer() -> None:
        store = DynamoRecordStore(boto3.session.Session().resource("dynamodb").Table(table_name))
        while (chunk := chunks.get()) is not None:
            try:
                store.put_many(chunk)
            except BaseException as err:  # noqa: BLE001 - reported after the threads stop
                errors.append(err)

    workers = [threading.Thread(target=writer, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    db = sqlite3.connect(f"file:{data_dir / 'records.sqlite3'}?mode=ro", uri=True)
    total = 0
    began = time.perf_counter()
    rows = db.execute("SELECT item FROM records")
    while batch := rows.fetchmany(2000):
        chunks.put([json.loads(r[0]) for r in batch])
        total += len(batch)
        if total % 100_000 < 2000:
            print(f"  {total:,} items copied, {time.perf_counter() - began:.0f} s", flush=True)
    for _ in workers:
        chunks.put(None)
    for worker in workers:
        worker.join()
    db.close()
    if errors:
        raise errors[0]
    return total


# --- the naive implementation: full scans, recomputed without the analytics code -----------------------


FILTERS = ("campaign_id", "store_id", "region")


def sqlite_scan(path: Path) -> Callable[..., Iterator[dict[str, Any]]]:
    """Every submission row, read in full; a campaign, store or region filter is applied by
    SQLite's json_extract on each row (a kinder baseline than decoding every row in Python), the
    rest decoded and aggregated in Python."""
    local = threading.local()

    def scan(**where: str | None) -> Iterator[dict[str, Any]]:
        db = getattr(local, "db", None) or sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        local.db = db
        sql = f"SELECT item FROM records WHERE {_SUBMISSION_PK} AND sk = '{layout.submission_key('')[1]}'"
        args = []
        for name in FILTERS:
            if where.get(name) is not None:
                sql += f" AND json_extract(item, '$.{name}') = ?"
                args.append(where[name])
        for (text,) in db.execute(sql, args):
            yield json.loads(text)

    return scan


def dynamodb_scan(table_name: str) -> Callable[..., Iterator[dict[str, Any]]]:
    import boto3
    from boto3.dynamodb.conditions import Attr

    from chalicelib.storage.dynamodb_records import _from_dynamo as from_dynamo  # the adapter's own decoding

    table = boto3.resource("dynamodb").Table(table_name)

    def scan(**where: str | None) -> Iterator[dict[str, Any]]:
        """A paginated Scan of the table; the filter is DynamoDB's (it still reads every item)."""
        condition = Attr("sk").eq("SUBMISSION")
        for name in FILTERS:
            if where.get(name) is not None:
                condition = condition & Attr(name).eq(where[name])
        kwargs: dict[str, Any] = {"FilterExpression": condition}
        while True:
            page = table.scan(**kwargs)
            for item in page["Items"]:
                yield from_dynamo(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    return scan


def _all(records: Any, pk: str, **kwargs: Any) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        page = records.query(pk, limit=500, cursor=cursor, **kwargs)
        out += page.items
        if not (cursor := page.cursor):
            return out


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


class Naive:
    """HQ's answers from a full scan of the submissions, the store list and the campaign list."""

    def __init__(self, scan: Callable[..., Iterator[dict[str, Any]]], records: Any):
        self.scan = scan
        self.records = records

    # what every answer starts from
    def _stores(self) -> dict[str, dict[str, Any]]:
        return {s["store_id"]: s for s in _all(self.records, layout.STORES)}

    def _campaigns(self) -> list[dict[str, Any]]:
        return sorted(_all(self.records, layout.CAMPAIGNS, index="gsi1"), key=lambda c: (c["start_date"], c["campaign_id"]))

    @staticmethod
    def _targeted(campaign: dict[str, Any], stores: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        targets = campaign["targets"]
        regions, clusters, named = set(targets["regions"]), set(targets["clusters"]), set(targets["stores"])
        return [
            s
            for s in stores.values()
            if s["region"] in regions or (s.get("cluster") and s["cluster"] in clusters) or s["store_id"] in named
        ]

    @staticmethod
    def _deadline(campaign: dict[str, Any], store: dict[str, Any]) -> datetime:
        day = date.fromisoformat(campaign["deadline"])
        return datetime.combine(day, clock.max, tzinfo=ZoneInfo(store["timezone"])).astimezone(UTC)

    @staticmethod
    def _latest(subs: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The newest finished photo of each (campaign, store)."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for sub in subs:
            if sub["status"] not in FINISHED:
                continue
            key = (sub["campaign_id"], sub["store_id"])
            if key not in latest or sub["created_at"] > latest[key]["created_at"]:
                latest[key] = sub
        return latest

    @staticmethod
    def _state(sub: dict[str, Any] | None) -> str:
        if sub is None:
            return "missing"
        review = (sub.get("review") or {}).get("state")
        if review == "approved":
            return "pass"
        if review == "rejected":
            return "fail"
        if review == "retake_requested" or sub["status"] != "done":
            return "retake"
        verdict = (sub.get("result") or {}).get("verdict")
        return verdict if verdict in ("pass", "fail", "retake") else "review"

    @staticmethod
    def _rule_statuses(sub: dict[str, Any]) -> dict[str, str]:
        overrides = sub.get("overrides") or {}
        return {
            r["id"]: (overrides.get(r["id"]) or {}).get("reviewer") or r["status"]
            for r in (sub.get("result") or {}).get("rules", [])
        }

    def _counts(self, rows: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]) -> dict[str, Any]:
        """Rates of (campaign, store, latest photo) rows, as HQ reads them."""
        states: Counter = Counter()
        rules: dict[str, Counter] = defaultdict(Counter)
        submitted = on_time = scored = 0
        score_sum = 0.0
        for campaign, store, sub in rows:
            states[self._state(sub)] += 1
            if sub is None:
                continue
            submitted += 1
            on_time += datetime.fromisoformat(sub["created_at"]) <= self._deadline(campaign, store)
            score = (sub.get("result") or {}).get("score")
            if score is not None:
                score_sum += score
                scored += 1
            for rule_id, status in self._rule_statuses(sub).items():
                rules[rule_id][status] += 1
        targeted = len(rows)
        return {
            "targeted": targeted,
            "submitted": submitted,
            "states": {s: states[s] for s in STATE_ORDER},
            "compliance_rate": _share(states["pass"], states["pass"] + states["fail"]),
            "submission_rate": _share(submitted, targeted),
            "on_time_rate": _share(on_time, targeted),
            "mean_score": _share(score_sum, scored),
            "rules": {r: _share(c["pass"], c["pass"] + c["fail"]) for r, c in sorted(rules.items())},
        }

    def _campaign_rows(
        self, campaign: dict[str, Any], stores: dict[str, dict[str, Any]], latest: dict[tuple[str, str], dict[str, Any]]
    ) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]:
        return [(campaign, s, latest.get((campaign["campaign_id"], s["store_id"]))) for s in self._targeted(campaign, stores)]

    # the answers
    def campaign(self, campaign_id: str) -> dict[str, Any]:
        campaign = next(c for c in self._campaigns() if c["campaign_id"] == campaign_id)
        rows = self._campaign_rows(campaign, self._stores(), self._latest(self.scan(campaign_id=campaign_id)))
        regions = defaultdict(list)
        for row in rows:
            regions[row[1]["region"]].append(row)
        return {"overall": self._counts(rows), "regions": {r: self._counts(rs) for r, rs in sorted(regions.items())}}

    def _listing(self, campaign_id: str, states: tuple[str, ...]) -> tuple[list[str], int]:
        campaign = next(c for c in self._campaigns() if c["campaign_id"] == campaign_id)
        rows = self._campaign_rows(campaign, self._stores(), self._latest(self.scan(campaign_id=campaign_id)))
        keyed = sorted(
            (states.index(self._state(sub)), f"{store['region']}#{store['store_id']}", store["store_id"])
            for _, store, sub in rows
            if self._state(sub) in states
        )
        return [k[2] for k in keyed[:PAGE]], len(keyed)

    def missing(self, campaign_id: str) -> dict[str, Any]:
        page, total = self._listing(campaign_id, NOT_IN)
        return {"page": page, "total": total}

    def stores(self, campaign_id: str, state: str) -> dict[str, Any]:
        page, total = self._listing(campaign_id, (state,))
        return {"page": page, "total": total}

    def trends(self, region: str | None = None) -> dict[str, Any]:
        stores = self._stores()
        latest = self._latest(self.scan(region=region))
        weeks: dict[str, list] = defaultdict(list)
        for campaign in self._campaigns():
            year, week, _ = date.fromisoformat(campaign["start_date"]).isocalendar()
            rows = [r for r in self._campaign_rows(campaign, stores, latest) if region is None or r[1]["region"] == region]
            weeks[f"{year:04d}-W{week:02d}"] += rows
        everything = [row for rows in weeks.values() for row in rows]
        return {"weeks": {w: self._counts(rows) for w, rows in sorted(weeks.items()) if rows}, "total": self._counts(everything)}

    def store(self, store_id: str) -> dict[str, Any]:
        stores = self._stores()
        latest = self._latest(self.scan(store_id=store_id))
        rows = [
            (c, stores[store_id], latest.get((c["campaign_id"], store_id)))
            for c in self._campaigns()
            if any(s["store_id"] == store_id for s in self._targeted(c, {store_id: stores[store_id]}))
        ]
        return {"campaigns": {c["campaign_id"]: self._state(sub) for c, _, sub in rows}, "total": self._counts(rows)}

    def agreement(self, campaign_id: str | None = None) -> dict[str, Any]:
        from chalicelib.services.analytics.thresholds import (  # the threshold finder on the naive histogram
            MIN_LABELS,
            suggest_threshold,
        )

        stores = self._stores()
        campaigns = [c for c in self._campaigns() if campaign_id is None or c["campaign_id"] == campaign_id]
        latest = self._latest(self.scan(campaign_id=campaign_id))
        confusion: dict[str, Counter] = defaultdict(Counter)
        histogram: dict[str, dict[float, Counter]] = defaultdict(lambda: defaultdict(Counter))
        overridden: Counter = Counter()
        thresholds: dict[str, Any] = {}
        for campaign in campaigns:
            for _, _, sub in self._campaign_rows(campaign, stores, latest):
                if sub is None:
                    continue
                overrides = sub.get("overrides") or {}
                reviewed = (sub.get("review") or {}).get("state") is not None or bool(overrides)
                for rule in (sub.get("result") or {}).get("rules", []):
                    if rule.get("threshold"):
                        thresholds[rule["id"]] = rule["threshold"]
                    label = (overrides.get(rule["id"]) or {}).get("reviewer") or (
                        rule["status"] if reviewed and rule["status"] in ("pass", "fail") else None
                    )
                    if not label:
                        continue
                    confusion[rule["id"]][(rule["status"], label)] += 1
                    overridden[rule["id"]] += label != rule["status"]
                    if rule.get("value") is not None:
                        histogram[rule["id"]][float(f"{rule['value']:.2g}")][label] += 1
        out = {}
        for rule_id, pairs in sorted(confusion.items()):
            caught = pairs[("fail", "fail")]
            flagged = caught + pairs[("fail", "pass")]
            failures = sum(n for (_, reviewer), n in pairs.items() if reviewer == "fail")
            labelled = sum(pairs.values())
            out[rule_id] = {
                "labelled": labelled,
                "overridden": overridden[rule_id],
                "precision": _share(caught, flagged),
                "recall": _share(caught, failures),
                "suggested": suggest_threshold(histogram.get(rule_id, {}), thresholds.get(rule_id)).get("suggested"),
            }
        return {"rules": out, "min_labels": MIN_LABELS}

    def gallery(self, campaign_id: str) -> dict[str, Any]:
        subs = sorted(
            self.scan(campaign_id=campaign_id),
            key=lambda s: layout.submission_index(campaign_id, s["created_at"], s["submission_id"])["gsi1sk"],
            reverse=True,
        )
        return {"page": [s["submission_id"] for s in subs[:GALLERY_PAGE]]}

    def every_campaign(self) -> dict[str, dict[str, Any]]:
        """One scan: each campaign's compliance rate and missing-store count."""
        stores, latest = self._stores(), self._latest(self.scan())
        out = {}
        for campaign in self._campaigns():
            counts = self._counts(self._campaign_rows(campaign, stores, latest))
            out[campaign["campaign_id"]] = {
                "compliance_rate": counts["compliance_rate"],
                "missing": sum(counts["states"][s] for s in NOT_IN),
            }
        return out


# --- the indexed answers, reduced to what the naive one computes --------------------------------------


def _rates(r: dict[str, Any]) -> dict[str, Any]:
    return {
        k: r[k] for k in ("targeted", "submitted", "states", "compliance_rate", "submission_rate", "on_time_rate", "mean_score")
    }


def _rule_rates(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["rule_id"]: r["pass_rate"] for r in rules}


def reduce_campaign(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "overall": {**_rates(answer["overall"]), "rules": _rule_rates(answer["rules"])},
        "regions": {r["region"]: _rates(r) for r in sorted(answer["regions"], key=lambda r: r["region"])},
    }


def reduce_naive_campaign(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "overall": answer["overall"],
        "regions": {r: {k: v for k, v in c.items() if k != "rules"} for r, c in answer["regions"].items()},
    }


def reduce_trends(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "weeks": {w["week"]: {**_rates(w), "rules": _rule_rates(w["rules"])} for w in answer["weeks"]},
        "total": _rates(answer["total"]),
    }


def reduce_naive_trends(answer: dict[str, Any]) -> dict[str, Any]:
    return {"weeks": answer["weeks"], "total": {k: v for k, v in answer["total"].items() if k != "rules"}}


def reduce_store(answer: dict[str, Any]) -> dict[str, Any]:
    return {"campaigns": {c["campaign_id"]: c["state"] for c in answer["campaigns"]}, "total": _rates(answer["total"])}


def reduce_naive_store(answer: dict[str, Any]) -> dict[str, Any]:
    return {"campaigns": answer["campaigns"], "total": {k: v for k, v in answer["total"].items() if k != "rules"}}


def reduce_agreement(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "rules": {
            r["rule_id"]: {
                "labelled": r["labelled"],
                "overridden": r["overridden"],
                "precision": r["precision"],
                "recall": r["recall"],
                "suggested": r["threshold"].get("suggested"),
            }
            for r in answer["rules"]
        },
        "min_labels": answer["min_labels"],
    }


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two answers differ (numbers within 2e-4: both sides round rates to 4 decimals)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: only in {'indexed' if key in a else 'naive'}")
            else:
                out += differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return [] if abs(a - b) <= 2e-4 else [f"{path}: indexed {a} != naive {b}"]
    return [] if a == b else [f"{path}: indexed {a!r} != naive {b!r}"]


# --- the suite ------------------------------------------------------------------------------------------


class Query:
    def __init__(
        self,
        name: str,
        indexed: Callable[[int], Any],
        naive: Callable[[int], Any],
        reduce: Callable[[Any], Any],
        reduce_naive: Callable[[Any], Any] = lambda x: x,
    ):
        self.name, self.indexed, self.naive, self.reduce, self.reduce_naive = name, indexed, naive, reduce, reduce_naive


def suite(svc: Any, naive: Naive, seed: int) -> list[Query]:
    from chalicelib.core.auth import Caller

    hq = Caller(username="bench", role="hq")
    campaigns = [c["campaign_id"] for c in naive._campaigns()][::-1]  # newest first: what HQ looks at most
    stores = sorted(naive._stores())
    regions = sorted({s["region"] for s in naive._stores().values()})
    rng = random.Random(seed)
    sampled = rng.sample(stores, min(len(stores), 64))

    def c(i: int) -> str:
        return campaigns[i % len(campaigns)]

    def full_listing(fetch: Callable[..., dict[str, Any]]) -> dict[str, Any]:
        return {"page": [r["store_id"] for r in fetch()["stores"]]}

    def missing_answer(i: int) -> dict[str, Any]:
        return svc.analytics.missing(hq, c(i))

    def fail_answer(i: int) -> dict[str, Any]:
        return svc.analytics.stores(hq, c(i), state=FAIL_PAGE_STATE)

    return [
        Query(
            "campaign(id)",
            lambda i: svc.analytics.campaign(hq, c(i)),
            lambda i: naive.campaign(c(i)),
            reduce_campaign,
            reduce_naive_campaign,
        ),
        Query(
            "missing(id) page 1",
            missing_answer,
            lambda i: naive.missing(c(i)),
            lambda a: {"page": [r["store_id"] for r in a["stores"]]},
            lambda n: {"page": n["page"]},
        ),
        Query(
            f"stores(id, state={FAIL_PAGE_STATE}) p.1",
            fail_answer,
            lambda i: naive.stores(c(i), FAIL_PAGE_STATE),
            lambda a: {"page": [r["store_id"] for r in a["stores"]]},
            lambda n: {"page": n["page"]},
        ),
        Query("trends()", lambda i: svc.analytics.trends(hq), lambda i: naive.trends(), reduce_trends, reduce_naive_trends),
        Query(
            "trends(region)",
            lambda i: svc.analytics.trends(hq, region=regions[i % len(regions)]),
            lambda i: naive.trends(regions[i % len(regions)]),
            reduce_trends,
            reduce_naive_trends,
        ),
        Query(
            "store(store_id)",
            lambda i: svc.analytics.store(hq, sampled[i % len(sampled)]),
            lambda i: naive.store(sampled[i % len(sampled)]),
            reduce_store,
            reduce_naive_store,
        ),
        Query(
            "agreement(campaign)",
            lambda i: svc.analytics.agreement(campaign_id=c(i)),
            lambda i: naive.agreement(c(i)),
            reduce_agreement,
        ),
        Query("agreement() network", lambda i: svc.analytics.agreement(), lambda i: naive.agreement(), reduce_agreement),
        Query(
            "gallery(hq, id) page 1",
            lambda i: svc.review.gallery(hq, c(i)),
            lambda i: naive.gallery(c(i)),
            lambda a: {"page": [s["submission_id"] for s in a["submissions"]]},
        ),
    ]


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    answer = call()
    return (time.perf_counter() - began) * 1000, answer


def run_suite(
    backend: str, svc: Any, naive: Naive, runs: int, naive_runs: int, naive_budget_s: float, seed: int, meter: Meter | None
) -> tuple[list[dict[str, Any]], list[str]]:
    rows, problems = [], []
    for query in suite(svc, naive, seed):
        query.indexed(0)  # warm-up: imports, caches, connections
        times, cost = [], (0, 0, 0)
        before = meter.snapshot() if meter else None
        for i in range(runs):
            ms, _ = _timed(lambda q=query, i=i: q.indexed(i))
            times.append(ms)
        if meter and before:
            cost = tuple((b - a) / runs for a, b in zip(before, meter.snapshot()))
        naive_times, naive_cost = [], (0, 0, 0)
        before = meter.snapshot() if meter else None
        for i in range(naive_runs):
            if naive_times and sum(naive_times) / 1000 > naive_budget_s:
                break  # at least one run; more while the scans of this query took under the budget
            ms, answer = _timed(lambda q=query, i=i: q.naive(i))
            naive_times.append(ms)
            diff = differences(query.reduce(query.indexed(i)), query.reduce_naive(answer))
            if diff:
                problems.append(
                    f"{backend} {query.name} (run {i}): "
                    + "; ".join(diff[:6])
                    + (f"; ... {len(diff) - 6} more" if len(diff) > 6 else "")
                )
        if meter and before:
            after = meter.snapshot()
            # the comparison above called the indexed path once per naive run: take it out
            naive_cost = tuple((b - a) / len(naive_times) - c for a, b, c in zip(before, after, cost))
        reads = None
        if meter is None:  # what the same calls would read from DynamoDB: counted on the record store
            with counting_reads(svc.records) as tally:
                for i in range(COUNTED_CALLS):
                    query.indexed(i)
            reads = {k: v / COUNTED_CALLS for k, v in tally.items()}
        row = {
            "query": query.name,
            "backend": backend,
            "p50": percentile(times, 0.5),
            "p95": percentile(times, 0.95),
            "max": max(times),
            "naive_p50": percentile(naive_times, 0.5),
            "naive_runs": len(naive_times),
            "cost": cost,
            "naive_cost": naive_cost,
            "reads": reads,
        }
        rows.append(row)
        print(
            f"  {query.name:28} p50 {row['p50']:9.2f} ms  p95 {row['p95']:9.2f} ms  naive p50 {row['naive_p50']:10.1f} ms "
            f"({len(naive_times)} run{'s' if len(naive_times) > 1 else ''})",
            flush=True,
        )
    return rows, problems


def check_every_campaign(backend: str, svc: Any, naive: Naive) -> tuple[int, list[str]]:
    """Compliance rate and missing-store count of every campaign: the counters, the state index
    (every page of missing()) and one naive scan must agree."""
    truth = naive.every_campaign()
    problems = []
    for campaign_id, expected in truth.items():
        overall = svc.analytics.campaign(HQ, campaign_id)["overall"]
        counted = overall["states"]["missing"] + overall["states"]["retake"]
        listed, cursor = 0, None
        while True:
            page = svc.analytics.missing(HQ, campaign_id, limit=500, cursor=cursor)
            listed += len(page["stores"])
            if not (cursor := page["cursor"]):
                break
        if differences(overall["compliance_rate"], expected["compliance_rate"]) or not counted == listed == expected["missing"]:
            problems.append(
                f"{backend} {campaign_id}: compliance indexed {overall['compliance_rate']} naive {expected['compliance_rate']}; "
                f"missing: counters {counted}, index {listed}, naive {expected['missing']}"
            )
    return len(truth), problems


def three_years(data_dir: Path, runs: int, seed: int) -> list[dict[str, Any]]:
    """docs/ARCHITECTURE.md keeps 3 years: the network-wide queries read one aggregate per week, and store()
    one target per campaign. Project them: the dataset's week aggregates, and the targets of a
    few stores, written three times (shifted by 52 and 104 weeks) into a scratch SQLite store,
    then trends(), trends(region), agreement() and store() timed on it with the real Analytics."""
    from datetime import timedelta

    from chalicelib.core.clock import iso_week as week_of
    from chalicelib.services.analytics import Analytics
    from chalicelib.storage.sqlite_records import SQLiteRecordStore

    source = SQLiteRecordStore(data_dir / "records.sqlite3")
    rng = random.Random(seed)
    stores = rng.sample(sorted(s["store_id"] for s in _all(source, layout.STORES)), 8)
    regions = sorted({s["region"] for s in _all(source, layout.STORES)})
    weeks = [w for pk in [layout.weeks_partition(), *(layout.weeks_partition(r) for r in regions)] for w in _all(source, pk)]
    targets = [t for store in stores for t in _all(source, layout.store_campaigns_partition(store), index="gsi2")]
    items = []
    for year in range(3):
        shift = timedelta(weeks=52 * year)
        for week in weeks:
            year_, number = week["sk"].split("-W")
            items.append({**week, "sk": week_of((date.fromisocalendar(int(year_), int(number), 1) + shift).isoformat())})
        for target in targets:
            campaign_id = f"{target['campaign_id']}-y{year}"
            start = (date.fromisoformat(target["start_date"]) + shift).isoformat()
            items.append(
                {
                    **target,
                    "pk": layout.target_key(campaign_id, target["store_id"])[0],
                    "campaign_id": campaign_id,
                    "start_date": start,
                    **layout.store_campaigns_index(target["store_id"], start, campaign_id),
                    **layout.target_state_index(campaign_id, target["state"], target["region"], target["store_id"]),
                }
            )
    with tempfile.TemporaryDirectory(prefix="vetrina-bench-3y-") as scratch:
        store = SQLiteRecordStore(Path(scratch) / "records.sqlite3")
        store.put_many(items)
        analytics = Analytics(store)
        calls = {
            "trends() 3 years": lambda i: analytics.trends(HQ),
            "trends(region) 3 years": lambda i: analytics.trends(HQ, region=regions[i % len(regions)]),
            "agreement() 3 years": lambda i: analytics.agreement(),
            "store(store_id) 3 years": lambda i: analytics.store(HQ, stores[i % len(stores)]),
        }
        out = []
        for name, call in calls.items():
            call(0)
            times = [_timed(lambda c=call, i=i: c(i))[0] for i in range(runs)]
            with counting_reads(store) as tally:
                call(0)
            out.append({"query": name, "p50": percentile(times, 0.5), "p95": percentile(times, 0.95)})
            print(
                f"  {name:28} p50 {out[-1]['p50']:9.2f} ms  p95 {out[-1]['p95']:9.2f} ms  (reads {tally['items']:.0f} items, "
                f"{tally['bytes'] / 1024:,.0f} KiB)",
                flush=True,
            )
        return out


# --- reporting ------------------------------------------------------------------------------------------


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({model or platform.processor()}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def print_dataset(data_dir: Path, manifest: dict[str, Any]) -> dict[str, float]:
    """Print what the dataset holds; return the table's item count and bytes (as JSON)."""
    counts = manifest["counts"]
    size = sum(p.stat().st_size for p in data_dir.glob("records.sqlite3*"))
    print(
        f"\ndataset {manifest['key']}: {counts['stores']:,} stores, {counts['campaigns']} campaigns, "
        f"{counts['targets']:,} targets, {counts['submissions']:,} submissions "
        f"({counts['done']:,} done, {counts['rejected']:,} rejected, {counts['error']:,} error; "
        f"{counts['retakes_linked']:,} linked retakes; {counts['reviewed']:,} reviewed, {counts['with_overrides']:,} with "
        f"{counts['overrides']:,} overrides)"
    )
    print(
        f"  loaded in {manifest['load_s']:.0f} s through {manifest['method']}; "
        f"{'cached from ' + manifest['built_at'] if manifest.get('cached') else 'built in this run'}; "
        f"phases (s): {', '.join(f'{k} {v:g}' for k, v in manifest['phases_s'].items())}"
    )
    print(f"  SQLite file {size / 2**20:,.0f} MiB; {counts['record_calls']:,} Analytics.record calls")
    print(f"  {'records':26} {'count':>9} {'MiB':>8} {'largest KiB':>12}")
    kinds = describe_dataset(data_dir)
    for kind, count, total, largest in kinds:
        print(f"  {kind:26} {count:9,} {total / 2**20:8.1f} {largest / 1024:12.1f}")
    return {"items": sum(k[1] for k in kinds), "bytes": sum(k[2] for k in kinds)}


def print_table(rows: list[dict[str, Any]], table: dict[str, float] | None) -> None:
    print(
        f"\n{'query':30} {'backend':10} {'scale':>5} {'p50 ms':>9} {'p95 ms':>9} {'naive p50 ms':>13} {'runs':>4} {'naive/indexed':>14}"
    )
    for r in rows:
        if r["naive_p50"] is None:
            print(f"{r['query']:30} {r['backend']:10} {r['scale']:5g} {r['p50']:9.2f} {r['p95']:9.2f} {'(projection)':>13}")
            continue
        print(
            f"{r['query']:30} {r['backend']:10} {r['scale']:5g} {r['p50']:9.2f} {r['p95']:9.2f} {r['naive_p50']:13.1f} "
            f"{r['naive_runs']:4d} {'x' + format(r['naive_p50'] / r['p50'], ',.0f'):>14}"
        )
    local = [r for r in rows if r["reads"]]
    if local:
        print(
            "\nlocal backend: what each call reads from the record store (the same calls on DynamoDB would read the "
            "same items; read units as DynamoDB charges them, by item size)"
        )
        print(f"{'query':30} {'requests':>9} {'items':>7} {'KiB':>8} {'read units':>11}")
        for r in local:
            w = r["reads"]
            print(f"{r['query']:30} {w['requests']:9.1f} {w['items']:7.0f} {w['bytes'] / 1024:8.1f} {w['rcu']:11.1f}")
        if table:
            print(
                f"a naive Scan of this table reads every item, whatever it filters: {table['items']:,.0f} items, "
                f"{table['bytes'] / 2**20:,.0f} MiB, >= {math.ceil(table['bytes'] / PAGE_BYTES):,} requests of 1 MB, "
                f"{table['bytes'] / KB4 / 2:,.0f} read units per query"
            )
    dynamo = [r for r in rows if r["cost"] and r["backend"] != "local"]
    if dynamo:
        print("\nDynamoDB adapter on the emulator: requests, items read and response KiB per call, counted on the wire")
        print(
            f"{'query':30} {'requests':>9} {'items read':>11} {'KiB':>8}   {'naive requests':>14} {'items read':>11} {'KiB':>10}"
        )
        for r in dynamo:
            (q, i, b), (nq, ni, nb) = r["cost"], r["naive_cost"]
            print(f"{r['query']:30} {q:9.1f} {i:11,.0f} {b / 1024:8.1f}   {nq:14,.0f} {ni:11,.0f} {nb / 1024:10,.0f}")


def markdown(rows: list[dict[str, Any]]) -> None:
    print("\nmarkdown:\n")
    print("| query | backend | scale | p50 ms | p95 ms | naive scan p50 ms | naive / indexed |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if r["naive_p50"] is None:
            print(f"| `{r['query']}` | {r['backend']} | {r['scale']:g}, 3 years | {r['p50']:.2f} | {r['p95']:.2f} | — | — |")
            continue
        print(
            f"| `{r['query']}` | {r['backend']} | {r['scale']:g} | {r['p50']:.2f} | {r['p95']:.2f} | {r['naive_p50']:,.0f} | "
            f"x{r['naive_p50'] / r['p50']:,.0f} |"
        )


# --- main -----------------------------------------------------------------------------------------------


def bench_local(spec: hq_dataset.Spec, args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str], dict[str, float]]:
    from chalicelib.core.settings import Settings
    from chalicelib.wiring import build_services

    data_dir, manifest = local_dataset(spec, args.cache, args.rebuild)
    table = print_dataset(data_dir, manifest)
    svc = build_services(Settings(data_dir=data_dir, public_url="http://127.0.0.1:8000"))
    naive = Naive(sqlite_scan(data_dir / "records.sqlite3"), svc.records)
    print(f"\nlocal backend (SQLite), {args.runs} runs per query (naive: {args.naive_runs}); {load()}", flush=True)
    rows, problems = run_suite("local", svc, naive, args.runs, args.naive_runs, args.naive_budget, args.seed, None)
    checked, more = check_every_campaign("local", svc, naive)
    print(
        f"  every campaign ({checked}): compliance rate and missing-store count, counters vs state index vs naive scan: "
        f"{'same' if not more else 'MISMATCH'}"
    )
    for row in rows:
        row["scale"] = spec.scale
    print(
        f"\nprojection to 3 years kept (docs/ARCHITECTURE.md): the 52 weeks' aggregates and 8 stores' targets written 3 times into a "
        f"scratch store, {args.runs} runs; {load()}",
        flush=True,
    )
    projected = three_years(data_dir, args.runs, args.seed)
    for p in projected:
        rows.append(
            {
                "query": p["query"],
                "backend": "local",
                "scale": spec.scale,
                "p50": p["p50"],
                "p95": p["p95"],
                "naive_p50": None,
                "naive_runs": 0,
                "reads": None,
                "cost": None,
                "naive_cost": None,
                "projection": True,
            }
        )
    return rows, problems + more, table


def bench_dynamodb(spec: hq_dataset.Spec, args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    meter = Meter()
    meter.attach()
    emulator = Emulator()
    try:
        name = f"vt-bench-{os.getpid()}"
        svc, env = dynamodb_services(emulator, name)
        began = time.perf_counter()
        if args.dynamodb_load == "copy":
            data_dir, manifest = local_dataset(spec, args.cache, args.rebuild)
            print(
                f"\nDynamoDB (moto emulator, own process) at scale {spec.scale:g}: loading by COPY of the SQLite dataset "
                f"{manifest['key']} (built through the real code paths; targets and aggregates as Analytics computed "
                f"them) with DynamoRecordStore.put_many (BatchWriteItem, 25 items a request) ...",
                flush=True,
            )
            total = copy_into(data_dir, env["VETRINA_TABLE"])
            how = f"copied {total:,} items with put_many"
        else:
            print(
                f"\nDynamoDB (moto emulator, own process) at scale {spec.scale:g}: loading through the REAL code paths "
                "(publish -> Analytics.add_targets, Analytics.record per result and review) ...",
                flush=True,
            )
            built = hq_dataset.build(svc, spec, log=lambda line: print(line, flush=True))
            how = f"real code paths, {built['counts']['submissions']:,} submissions, {built['counts']['record_calls']:,} record calls"
        print(f"  loaded in {time.perf_counter() - began:.0f} s ({how}); emulator RSS {emulator.rss_mb():,.0f} MiB", flush=True)
        naive = Naive(dynamodb_scan(env["VETRINA_TABLE"]), svc.records)
        print(
            f"\nDynamoDB adapter on the emulator, {args.dynamodb_runs} runs per query (naive: {args.dynamodb_naive_runs}); "
            f"{load()}",
            flush=True,
        )
        rows, problems = run_suite(
            "dynamodb", svc, naive, args.dynamodb_runs, args.dynamodb_naive_runs, args.naive_budget, args.seed, meter
        )
        checked, more = check_every_campaign("dynamodb", svc, naive)
        print(
            f"  every campaign ({checked}): compliance rate and missing-store count, counters vs state index vs naive scan: "
            f"{'same' if not more else 'MISMATCH'}"
        )
        for row in rows:
            row["backend"], row["scale"] = "dynamodb*", spec.scale
        return rows, problems + more
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the sizing case's 5,000 stores (52 campaigns always)")
    parser.add_argument("--backend", choices=("local", "dynamodb", "both"), default="local")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each indexed query")
    parser.add_argument("--naive-runs", type=int, default=3, help="timed runs of each naive full scan (at most)")
    parser.add_argument(
        "--naive-budget",
        type=float,
        default=150.0,
        help="seconds of naive scans per query after which no further run starts (at least one runs)",
    )
    parser.add_argument(
        "--dynamodb-scale",
        type=float,
        help=f"scale of the DynamoDB dataset (default: the smaller of --scale and {DYNAMODB_SCALE:g}, what the emulator manages)",
    )
    parser.add_argument(
        "--dynamodb-load",
        choices=("copy", "real"),
        default="copy",
        help="copy: the SQLite dataset's records with put_many; real: the real code paths against the "
        "emulator (moto deep-copies the table for every TransactWriteItems: tiny scales only)",
    )
    parser.add_argument("--dynamodb-runs", type=int, default=10)
    parser.add_argument("--dynamodb-naive-runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--rebuild", action="store_true", help="build the dataset again even if cached")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: stop the emulator

    print(f"HQ queries at the sizing case (docs/ARCHITECTURE.md), indexed vs naive full scan; {machine()}; {load()}")
    rows, problems, table = [], [], None
    if args.backend in ("local", "both"):
        more_rows, more, table = bench_local(hq_dataset.Spec(args.scale, args.seed), args)
        rows += more_rows
        problems += more
    if args.backend in ("dynamodb", "both"):
        scale = args.dynamodb_scale or min(args.scale, DYNAMODB_SCALE)
        if args.dynamodb_scale is None and scale < args.scale:
            print(f"\nDynamoDB at scale {scale:g}, not {args.scale:g}: {DYNAMODB_WHY} (--dynamodb-scale to change)")
        more_rows, more = bench_dynamodb(hq_dataset.Spec(scale, args.seed), args)
        rows += more_rows
        problems += more

    print_table(rows, table)
    if any(r["backend"] != "local" for r in rows):
        print(
            "* moto, not DynamoDB: the emulator sorts the whole table for every Query and every Scan page, so its "
            "latencies grow with the table; the requests and items read are what DynamoDB would do."
        )
    local = [r for r in rows if r["backend"] == "local" and r["naive_p50"] is not None]
    if local:
        worst = max(local, key=lambda r: r["p95"])
        print(
            f"\ntarget (docs/ARCHITECTURE.md): gallery and HQ queries at the sizing case p95 <= {TARGET_P95_MS:.0f} ms on the local "
            f"backend -> worst p95 {worst['p95']:.2f} ms ({worst['query']}) at scale {args.scale:g}, 52 weeks: "
            f"{'met' if worst['p95'] <= TARGET_P95_MS else 'NOT met'}"
            f"{'' if args.scale >= 1 else ' (below the sizing case: run with --scale 1)'}"
        )
        projected = [r for r in rows if r["backend"] == "local" and r["naive_p50"] is None]
        if projected:
            worst = max(projected, key=lambda r: r["p95"])
            print(
                f"  with 3 years kept (projection): worst p95 {worst['p95']:.2f} ms ({worst['query']}): "
                f"{'met' if worst['p95'] <= TARGET_P95_MS else 'NOT met'}"
            )
    markdown(rows)
    print(f"\n{load()}")
    if problems:
        print("\n" + "!" * 100)
        print(f"MISMATCH between the indexed answers and the naive scan ({len(problems)}):")
        for problem in problems[:40]:
            print("  " + problem)
        print("!" * 100)
        sys.exit(1)
    print(
        "indexed and naive answers: the same for every query compared, and for every campaign's compliance rate and missing count"
    )


if __name__ == "__main__":
    main()
