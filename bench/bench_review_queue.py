"""Benchmark: the gallery's review queue (GET /campaigns/{id}/windows) on one campaign of the sizing
case (5,000 stores in 10 regions), against the naive way in the same run, local backend (SQLite).

    .venv/bin/python bench/bench_review_queue.py [--stores 5000] [--runs 30] [--seed 7]

Data: the store list imported, a campaign published to every region, then for each store 0–2
finished photos (a mix of pass, fail on one or two of four rules, review and retake, a third of
the latest ones decided by a reviewer) recorded through the real path (Counters.record: the target,
its review-queue index entry and failed-rule markers, the aggregates).

- indexed: chalicelib.services.review.Review.windows as the API calls it (an HQ caller), first
  page of 50: no filter (not reviewed first), a failed rule, a failed rule in one region, the
  decided ones, a state in a region; and every page of a failed rule's listing. p50 and p95 over
  --runs calls after a warm-up, with the record store's items read per call.
- naive: the same first pages from reading every target of the campaign (its partition, pages of
  1,000) and filtering and ordering in Python: what a listing without the index would do.
- checks: each naive answer against the indexed one (the same stores in the same order).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import percentile  # noqa: E402
from chalicelib.core.auth import Caller  # noqa: E402
from chalicelib.core.settings import Settings  # noqa: E402
from chalicelib.services.review_queue import QUEUE_ORDER, failed_rules, is_reviewed  # noqa: E402
from chalicelib.storage import layout  # noqa: E402
from chalicelib.wiring import build_services  # noqa: E402
from tests.support.helpers import local_environment, quality_guideline  # noqa: E402

RULES = ("sharp", "exposed", "level", "poster")
HQ = Caller(username="bench", role="hq")


class CountingRecords:
    """The record store, counting the items its queries and gets return."""

    def __init__(self, inner: Any):
        self._inner = inner
        self.items = 0

    def query(self, *args: Any, **kwargs: Any):
        page = self._inner.query(*args, **kwargs)
        self.items += len(page.items)
        return page

    def get(self, *args: Any, **kwargs: Any):
        found = self._inner.get(*args, **kwargs)
        self.items += found is not None
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def build(stores: int, seed: int, data: Path):
    svc = build_services(Settings.from_env(local_environment(data)))
    regions = [f"R{i}" for i in range(10)]
    rows = [
        {"store_id": f"S{n:05d}", "name": f"Store {n}", "region": regions[n % 10], "timezone": "Europe/Rome"}
        for n in range(stores)
    ]
    import json

    svc.stores.import_list(json.dumps(rows), "application/json")
    guideline = quality_guideline()
    guideline["rules"].append(
        {"id": "poster", "type": "photo_quality", "message": "Poster.", "parameters": {"check": "resolution"}}
    )
    svc.campaigns.put(
        "big",
        {
            "name": "Big",
            "start_date": "2026-11-01",
            "deadline": "2099-11-08",
            "targets": {"regions": regions},
            "guideline": guideline,
        },
    )
    svc.campaigns.publish("big")
    rng = random.Random(seed)
    started = time.perf_counter()
    photos = 0
    for row in rows:
        for attempt in range(rng.choice((0, 1, 1, 1, 2))):
            photos += 1
            kind = rng.choices(("pass", "fail", "review", "retake"), (40, 35, 15, 10))[0]
            failing = set(rng.sample(RULES, rng.choice((1, 2)))) if kind == "fail" else set()
            rules = [
                {
                    "id": r,
                    "status": "fail" if r in failing else ("uncertain" if kind == "review" and r == "level" else "pass"),
                    "value": 1.0,
                }
                for r in RULES
            ]
            submission = {
                "submission_id": f"sub_{row['store_id']}_{attempt}",
                "campaign_id": "big",
                "store_id": row["store_id"],
                "status": "done",
                "created_at": f"2026-11-0{2 + attempt}T10:00:00+00:00",
                "guideline_version": 1,
                "result": {"verdict": kind, "score": 0.5 if failing else 1.0, "rules": rules},
            }
            if rng.random() < 0.33:
                submission["review"] = {"state": rng.choice(("approved", "rejected", "retake_requested"))}
            svc.counters.record(submission)
    return svc, photos, time.perf_counter() - started


def naive_first_page(records: Any, state=None, review=None, rule_id=None, region=None, limit=50) -> list[str]:
    """Every target of the campaign read, filtered and ordered in Python."""
    targets, cursor = [], None
    while True:
        page = records.query(layout.campaign_key("big")[0], sk_prefix=layout.TARGET_PREFIX, limit=1000, cursor=cursor)
        targets += page.items
        if not (cursor := page.cursor):
            break
    rank = {key: i for i, key in enumerate(QUEUE_ORDER)}
    kept = [
        t
        for t in targets
        if (not state or t["state"] == state)
        and (not region or t["region"] == region)
        and (not rule_id or rule_id in failed_rules(t.get("outcome")))
        and (not review or (t.get("outcome") is not None and is_reviewed(t.get("outcome")) == (review == "reviewed")))
    ]
    kept.sort(key=lambda t: (rank[(is_reviewed(t.get("outcome")), t["state"])], t["region"], t["store_id"]))
    return [t["store_id"] for t in kept[:limit]]


def timed(call, runs: int, counter: CountingRecords) -> tuple[float, float, int, Any]:
    answer = call()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    counter.items = 0
    call()
    return percentile(times, 0.5), percentile(times, 0.95), counter.items, answer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        svc, photos, seconds = build(args.stores, args.seed, Path(folder) / "data")
        print(
            f"{args.stores} stores, {photos} photos recorded in {seconds:.1f} s ({seconds / max(photos, 1) * 1000:.1f} ms a photo)"
        )
        counter = CountingRecords(svc.review._records)
        svc.review._records = counter  # the same store, counted
        cases = [
            ("no filter (not reviewed first)", {}),
            ("failed rule poster", {"rule_id": "poster"}),
            ("failed rule poster, region R3", {"rule_id": "poster", "region": "R3"}),
            ("decided", {"review": "reviewed"}),
            ("state fail, region R3", {"state": "fail", "region": "R3"}),
        ]
        failures = 0
        print(f"{'first page of 50':36} {'indexed p50/p95 ms':>20} {'items':>6} {'naive p50/p95 ms':>18} {'items':>7}")
        for name, filters in cases:
            p50, p95, items, answer = timed(lambda f=filters: svc.review.windows(HQ, "big", **f), args.runs, counter)
            n50, n95, n_items, naive = timed(lambda f=filters: naive_first_page(counter, **f), max(3, args.runs // 5), counter)
            same = [w["store_id"] for w in answer["windows"]] == naive
            failures += not same
            print(
                f"{name:36} {p50:9.1f} / {p95:6.1f} {items:6d} {n50:9.1f} / {n95:6.1f} {n_items:7d}{'' if same else '  MISMATCH'}"
            )

        def every_page() -> int:
            count, cursor = 0, None
            while True:
                page = svc.review.windows(HQ, "big", rule_id="poster", cursor=cursor)
                count += len(page["windows"])
                if not (cursor := page["cursor"]):
                    return count

        p50, p95, items, count = timed(every_page, max(3, args.runs // 5), counter)
        print(f"every page of failed rule poster ({count} stores): p50 {p50:.1f} ms, p95 {p95:.1f} ms, {items} items read")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
