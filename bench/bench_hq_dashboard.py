"""Benchmark: what HQ's dashboard (/hq) reads at the sizing case, and how fast its pages load.

    .venv/bin/python bench/bench_hq_dashboard.py [--scale 1] [--runs 20] [--cache build/bench-hq] [--browser]

On the HQ benchmark's dataset (bench/hq_dataset.py, built and cached by bench/bench_hq_queries.py:
5,000 stores x --scale, 52 weekly campaigns, about 410,000 photos at scale 1):

- the calls the dashboard makes for one campaign, as the API makes them (the services): the
  campaign's rates, the rules' spread across regions, agreement, 12 weeks of trends, every page of
  the stores and of the missing stores; p50/p95 over --runs, newest campaigns first, and the reads
  each makes (requests, items);
- the rules' spread against a naive baseline in the same run: every target record of the campaign
  read and the same numbers recomputed (and compared: a mismatch is printed and exits 1);
- reminders: 500 stores reminded (one page of the missing list) on a scratch copy of those targets;
- with --browser, the pages in Chromium against a local server on the dataset (read only; the
  signing key from VETRINA_AUTH_KEY, so nothing is written to the cache): time from navigation to
  the page drawn (/hq to its board and to its full store list, /hq/stores to its first rows and to
  every store, /hq/campaigns/{id} to its form), p50 of 5.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import bench_hq_queries as hq_bench  # noqa: E402
import hq_dataset  # noqa: E402
from measure import percentile, timed  # noqa: E402

PAGE_RUNS = 5


def naive_spread(records: Any, campaign_id: str) -> dict[str, dict[str, float | None]]:
    """Per rule and region, the pass rate from every target of the campaign (what the counters save)."""
    from chalicelib.storage import layout

    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for target in hq_bench._all(records, layout.campaign_key(campaign_id)[0], sk_prefix=layout.TARGET_PREFIX):
        for rule_id, status in ((target.get("outcome") or {}).get("rules") or {}).items():
            if status in ("pass", "fail"):
                counts[(rule_id, target["region"])][status == "fail"] += 1
    out: dict[str, dict[str, float | None]] = defaultdict(dict)
    for (rule_id, region), (passed, failed) in counts.items():
        out[rule_id][region] = round(passed / (passed + failed), 4)
    return out


def dashboard_calls(svc: Any, campaign: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    from datetime import date, timedelta

    hq = hq_bench.HQ
    c = campaign["campaign_id"]
    start = date.fromisoformat(campaign["start_date"])
    return {
        "campaign(id)": lambda: svc.analytics.campaign(hq, c),
        "rule_spread(id)": lambda: svc.analytics.rule_spread(hq, c),
        "agreement(campaign)": lambda: svc.analytics.agreement(campaign_id=c),
        "trends(12 weeks)": lambda: svc.analytics.trends(
            hq, date_from=(start - timedelta(weeks=11)).isoformat(), date_to=start.isoformat()
        ),
        "stores(id), every page": lambda: all_pages(lambda cursor: svc.analytics.stores(hq, c, limit=500, cursor=cursor)),
        "missing(id), every page": lambda: all_pages(lambda cursor: svc.analytics.missing(hq, c, limit=500, cursor=cursor)),
    }


def all_pages(fetch: Callable[[str | None], dict[str, Any]]) -> list[dict[str, Any]]:
    rows, cursor = [], None
    while True:
        page = fetch(cursor)
        rows += page["stores"]
        if not (cursor := page["cursor"]):
            return rows


def bench_queries(svc: Any, runs: int) -> tuple[list[dict[str, Any]], list[str]]:
    page = svc.records.query("CAMPAIGNS", index="gsi1", limit=100, descending=True)
    campaigns = page.items
    rows, problems = [], []
    names = list(dashboard_calls(svc, campaigns[0]))
    totals: list[float] = []
    times: dict[str, list[float]] = defaultdict(list)
    for i in range(runs + 1):
        campaign = campaigns[i % len(campaigns)]
        total = 0.0
        for name, call in dashboard_calls(svc, campaign).items():
            ms, _ = timed(call)
            if i:  # the first round warms up
                times[name].append(ms)
                total += ms
        if i:
            totals.append(total)
    for name in names:
        with hq_bench.counting_reads(svc.records) as tally:
            dashboard_calls(svc, campaigns[0])[name]()
        rows.append(
            {
                "query": name,
                "p50": statistics.median(times[name]),
                "p95": percentile(times[name], 0.95),
                "requests": tally["requests"],
                "items": tally["items"],
            }
        )
    rows.append(
        {
            "query": "the dashboard's calls, one after the other",
            "p50": statistics.median(totals),
            "p95": percentile(totals, 0.95),
            "requests": None,
            "items": None,
        }
    )
    # The naive baseline of the new query, and the check that both say the same.
    naive_times = []
    for i in range(min(runs, 5)):
        campaign_id = campaigns[i % len(campaigns)]["campaign_id"]
        ms, naive = timed(lambda campaign_id=campaign_id: naive_spread(svc.records, campaign_id))
        naive_times.append(ms)
        indexed = {
            r["rule_id"]: {g["region"]: g["pass_rate"] for g in r["regions"] if g["pass_rate"] is not None}
            for r in svc.analytics.rule_spread(hq_bench.HQ, campaign_id)["rules"]
        }
        if indexed != dict(naive):
            problems.append(f"rule_spread({campaign_id}) differs from the naive recount")
    with hq_bench.counting_reads(svc.records) as tally:
        naive_spread(svc.records, campaigns[0]["campaign_id"])
    rows.append(
        {
            "query": "naive: rule spread from every target",
            "p50": statistics.median(naive_times),
            "p95": percentile(naive_times, 0.95),
            "requests": tally["requests"],
            "items": tally["items"],
        }
    )
    return rows, problems


def bench_reminders(svc: Any) -> dict[str, Any]:
    """500 stores reminded, on a scratch store holding a copy of the campaign and those targets."""
    from chalicelib.core.auth import Caller
    from chalicelib.core.settings import Settings
    from chalicelib.storage import layout
    from chalicelib.wiring import build_services

    campaign = svc.records.query("CAMPAIGNS", index="gsi1", limit=1, descending=True).items[0]
    c = campaign["campaign_id"]
    targets = [t for t in hq_bench._all(svc.records, layout.campaign_key(c)[0], sk_prefix=layout.TARGET_PREFIX)][:500]
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as scratch:
        copy = build_services(Settings(data_dir=Path(scratch), public_url="http://127.0.0.1:8000"))
        copy.records.put_many([svc.records.get(*layout.campaign_key(c))] + [{**t, "state": "missing"} for t in targets])
        ms, answer = timed(lambda: copy.reminders.send(Caller("bench", "hq"), c, {"store_ids": [t["store_id"] for t in targets]}))
    return {"stores": len(answer["sent"]), "ms": ms}


def bench_pages(data_dir: Path) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from tests.support.chromium import launch

    os.environ.update(
        VETRINA_BACKEND="local",
        VETRINA_DATA_DIR=str(data_dir),
        VETRINA_AUTH_KEY="bench-dashboard-signing-key-not-a-secret-0123456789",
    )
    from chalicelib.core.auth import mint
    from chalicelib.core.settings import Settings
    from chalicelib.local.server import LocalService

    service = LocalService("127.0.0.1", 0).start()
    token = mint(Settings.from_env(), "hq")
    campaign = service.services.records.query("CAMPAIGNS", index="gsi1", limit=1, descending=True).items[0]["campaign_id"]
    pages = [
        ("/hq", "#board:not([hidden])", "/hq: the board (counters, charts, missing stores)"),
        ("/hq", "#stores-state >> text=Showing", "/hq: and every targeted store listed"),
        ("/hq/stores", "#stores tbody tr", "/hq/stores: the first page of the list"),
        ("/hq/stores", "#list-state >> text=Showing", "/hq/stores: every store"),
        (f"/hq/campaigns/{campaign}", "#versions li", "/hq/campaigns/{id}: the form"),
    ]
    rows = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for path, drawn, label in pages:
            times = []
            for _ in range(PAGE_RUNS + 1):
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.goto(f"{service.url}{path}#token={token}")
                page.wait_for_selector(drawn, timeout=60000)
                times.append(page.evaluate("performance.now()"))
                page.context.close()
            rows.append({"page": label, "p50": statistics.median(times[1:]), "max": max(times[1:])})
        browser.close()
    service.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cache", type=Path, default=hq_bench.DEFAULT_CACHE)
    parser.add_argument("--browser", action="store_true", help="also time the pages in Chromium")
    args = parser.parse_args()
    from chalicelib.core.settings import Settings
    from chalicelib.wiring import build_services

    data_dir, manifest = hq_bench.local_dataset(hq_dataset.Spec(args.scale), args.cache, rebuild=False)
    svc = build_services(Settings(data_dir=data_dir, public_url="http://127.0.0.1:8000"))
    print(f"dataset: scale {args.scale:g} ({hq_dataset.Spec(args.scale).stores} stores), {hq_bench.machine()}; {hq_bench.load()}")
    rows, problems = bench_queries(svc, args.runs)
    print("\n| the dashboard's call (local backend) | p50 ms | p95 ms | requests | items |\n|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['query']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['requests'] if r['requests'] is not None else '–'} "
            f"| {r['items'] if r['items'] is not None else '–'} |"
        )
    reminders = bench_reminders(svc)
    print(
        f"\nreminders: {reminders['stores']} stores in {reminders['ms']:.0f} ms "
        f"({reminders['ms'] / max(1, reminders['stores']):.2f} ms a store: a get, an event, a conditional update)"
    )
    if args.browser:
        print("\n| page (Chromium, local server) | p50 ms to drawn | max ms |\n|---|---|---|")
        for r in bench_pages(data_dir):
            print(f"| {r['page']} | {r['p50']:.0f} | {r['max']:.0f} |")
    for problem in problems:
        print("MISMATCH:", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
