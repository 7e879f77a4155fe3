"""Benchmark: the campaign set-up page (/hq/campaigns/{id}) at the sizing case's store list.

    .venv/bin/python bench/bench_campaign_setup.py [--scale 1] [--runs 20] [--no-browser]

The HQ benchmark's store list and one of its campaigns (bench/hq_dataset.py: 5,000 stores x
--scale in 10 regions, with clusters; the newest campaign, as a draft), imported through the real
code paths (Stores.import_list, Campaigns.put) into a scratch data folder. Nothing else of that
dataset matters to this page, so it is built here in seconds, not taken from the cache.

- the reads, as the API makes them (the services), p50/p95 over --runs: what the page reads now
  (the store list's facets, a search, the reach of the campaign's targets) against the baseline
  in the same run, every page of the store list (GET /stores, 500 a page: what the page read
  before, to fill its picker and count the reach itself);
- in Chromium against a local server on that folder: navigation to the form drawn (its guideline
  versions listed and the reach counted), p50 of 5, for the page as it is and, as the baseline in
  the same run, the page's script of before (git show BASELINE_SCRIPT) served in its place.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import hq_dataset  # noqa: E402
from measure import percentile, timed  # noqa: E402

# The set-up page's script before the store directory: it listed every store.
BASELINE_SCRIPT = "12e8483:chalicelib/web/static/campaign.js"
PAGE_RUNS = 5
DRAWN = "#versions li"
COUNTED = "#target-count >> text=/reach: [0-9]/"


def build(data_dir: Path, spec: hq_dataset.Spec) -> tuple[Any, dict[str, Any]]:
    from chalicelib.core.settings import Settings
    from chalicelib.wiring import build_services

    svc = build_services(Settings(data_dir=data_dir, public_url="http://127.0.0.1:8000"))
    stores = hq_dataset.make_stores(spec)
    svc.stores.import_list(json.dumps(stores), "application/json")
    campaign = hq_dataset.make_campaigns(spec)[-1]
    body = {**campaign["body"], "guideline": hq_dataset.make_guideline(campaign["index"], 1)}
    svc.campaigns.put(campaign["campaign_id"], body)
    return svc, campaign


def bench_reads(svc: Any, campaign: dict[str, Any], runs: int) -> list[dict[str, Any]]:
    from chalicelib.core.auth import Caller

    hq = Caller(username="bench", role="hq")
    targets = campaign["body"]["targets"]

    def every_store() -> int:
        count, cursor = 0, None
        while True:
            page = svc.stores.list(hq, limit=500, cursor=cursor)
            count += len(page["stores"])
            if not (cursor := page["cursor"]):
                return count

    calls = {
        "baseline: every page of GET /stores (500 a page)": every_store,
        "GET /stores/facets": lambda: svc.store_directory.facets(hq),
        "GET /stores/search?q=12 (a word of the names)": lambda: svc.store_directory.search(hq, "12"),
        "GET /stores/search?q=S012 (ids)": lambda: svc.store_directory.search(hq, "S012"),
        "POST /stores/reach (the campaign's targets)": lambda: svc.store_directory.reach(targets),
        "POST /stores/reach (3 clusters and 20 named stores)": lambda: svc.store_directory.reach(
            {"clusters": ["high-street", "mall", "flagship"], "stores": [f"S{n:05d}" for n in range(1, 4000, 200)]}
        ),
    }
    rows = []
    for name, call in calls.items():
        call()  # warm
        times = [timed(call)[0] for _ in range(runs)]
        rows.append({"read": name, "p50": statistics.median(times), "p95": percentile(times, 0.95), "answer": call()})
    return rows


def serve(script: str) -> Callable[[Any], None]:
    """A route handler answering with ``script`` (Playwright passes a handler more arguments than
    the route when its signature takes them: no default arguments here)."""

    def handler(route: Any) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=script)

    return handler


def bench_page(data_dir: Path, campaign_id: str) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from tests.support.chromium import launch

    os.environ.update(
        VETRINA_BACKEND="local",
        VETRINA_DATA_DIR=str(data_dir),
        VETRINA_AUTH_KEY="bench-campaign-setup-signing-key-not-a-secret-0123",
    )
    from chalicelib.core.auth import mint
    from chalicelib.core.settings import Settings
    from chalicelib.local.server import LocalService

    old_script = subprocess.run(["git", "show", BASELINE_SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    service = LocalService("127.0.0.1", 0).start()
    token = mint(Settings.from_env(), "hq")
    rows = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for label, script in (("baseline: the page's script of before (every store listed)", old_script), ("the page now", None)):
            times, requests = [], 0
            for run in range(PAGE_RUNS + 1):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                if script is not None:
                    page.route("**/static/campaign.js", serve(script))
                seen: list[Any] = []

                def note(request: Any, seen: list[Any] = seen) -> None:
                    seen.append(request)

                page.on("request", note)
                page.goto(f"{service.url}/hq/campaigns/{campaign_id}#token={token}")
                page.wait_for_selector(DRAWN, timeout=120000)
                page.wait_for_selector(COUNTED, timeout=120000)
                if run:  # the first warms the server and the browser's cache
                    times.append(page.evaluate("performance.now()"))
                    requests = len(seen)
                context.close()
            rows.append({"page": label, "p50": statistics.median(times), "max": max(times), "requests": requests})
        browser.close()
    service.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true", help="time the reads only")
    args = parser.parse_args()
    spec = hq_dataset.Spec(args.scale)
    with tempfile.TemporaryDirectory(prefix="bench-campaign-setup-") as scratch:
        data_dir = Path(scratch) / "data"
        ms, (svc, campaign) = timed(lambda: build(data_dir, spec))
        print(
            f"store list: {spec.stores} stores (scale {args.scale:g}), campaign {campaign['campaign_id']} "
            f"targets {campaign['body']['targets']}; imported in {ms / 1000:.1f} s; "
            f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
        )
        print("\n| read (local backend, services) | p50 ms | p95 ms | stores |\n|---|---|---|---|")
        for r in bench_reads(svc, campaign, args.runs):
            answer = r["answer"]
            size = answer if isinstance(answer, int) else answer.get("stores")
            print(f"| {r['read']} | {r['p50']:.2f} | {r['p95']:.2f} | {size if isinstance(size, int) else len(size)} |")
        if not args.no_browser:
            print("\n| /hq/campaigns/{id} (Chromium, local server) | p50 ms to drawn | max ms | requests |\n|---|---|---|---|")
            for r in bench_page(data_dir, campaign["campaign_id"]):
                print(f"| {r['page']} | {r['p50']:.0f} | {r['max']:.0f} | {r['requests']} |")


if __name__ == "__main__":
    main()
