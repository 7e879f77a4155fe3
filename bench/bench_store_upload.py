"""The store page on a shop's weak uplink: from the tap on "Send" to the verdict on the card, for a
12 MP camera JPEG at 2 Mbit/s up (10 Mbit/s down, 60 ms), against a naive page in the same run.

The page as it ships makes the photo smaller on the phone (upload-queue.js: long side 2560,
JPEG 0.85) before it goes up. The naive page is the same page with that step taken out (the
queue sends the camera's file as it is), as the store page did before issue 15. Both run in
headless Chromium (Debian's, driven by Playwright) against the local server as `make run` runs it,
the network throttled by CDP's Network.emulateNetworkConditions.

The photo is a generated window with sensor-like noise, so that its JPEG weighs what a phone's
12 MP JPEG weighs (5-7 MB; a noiseless generated image would compress to 2 MB).

    .venv/bin/python bench/bench_store_upload.py [--runs 3] [--up-mbit 2]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The naive page: the queue's shrink step sends every file as it is.
NO_RESIZE = ("if (!RESIZABLE.includes(type) ||", "if (true ||")


def camera_jpeg() -> bytes:
    import numpy as np
    from PIL import Image

    from chalicelib.devtools.synthetic import window_photo

    pixels = np.asarray(window_photo(seed=3, size=(4032, 3024)), dtype=np.int16)
    noise = np.random.default_rng(7).normal(0, 9, pixels.shape).astype(np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=92)
    return out.getvalue()


def publish(url: str) -> None:
    from tests.support.helpers import campaign_body, http_session

    hq = http_session("hq")
    stores = [{"store_id": "S001", "name": "Milano Duomo", "region": "north", "timezone": "Europe/Rome"}]
    assert hq.put(f"{url}/stores", json=stores, timeout=10).status_code == 200
    assert hq.put(f"{url}/campaigns/bench", json=campaign_body(("S001",)), timeout=10).status_code in (200, 201)
    assert hq.post(f"{url}/campaigns/bench/publish", timeout=10).status_code == 200


def body_bytes(request) -> int:
    """A form's size as it went up: Chromium reports it in the request's sizes or its headers,
    not always both (a form holding a File, or a Blob the page made)."""
    return request.sizes()["requestBodySize"] or int(request.all_headers().get("content-length", 0))


def one_send(browser, url: str, photo: Path, up_mbit: float, naive: bool) -> tuple[float, int]:
    """Seconds from the tap to the verdict, and the bytes the upload sent."""
    from tests.support.helpers import token

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    if naive:

        def without_resize(route):
            body = route.fetch().text()
            assert NO_RESIZE[0] in body, "upload-queue.js changed: update the naive page"
            route.fulfill(body=body.replace(*NO_RESIZE), content_type="text/javascript")

        page.route("**/static/upload-queue.js", without_resize)
    page.goto(f"{url}/#token={token('store', stores=('S001',))}")
    page.wait_for_selector("#campaign option", state="attached")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 60, "uploadThroughput": up_mbit * 1e6 / 8, "downloadThroughput": 10e6 / 8},
    )
    sent: list[int] = []
    page.on(
        "requestfinished",
        lambda request: sent.append(body_bytes(request)) if request.url.endswith("/local/uploads") else None,
    )
    page.set_input_files("#photo", str(photo))
    started = time.monotonic()
    page.click("#send")
    page.wait_for_selector("#verdict-badge:not([hidden])", timeout=180000)
    elapsed = time.monotonic() - started
    context.close()
    return elapsed, sent[0] if sent else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--up-mbit", type=float, default=2.0)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.support.chromium import launch
    from tests.support.helpers import local_environment

    with tempfile.TemporaryDirectory() as folder:
        env = local_environment(Path(folder) / "data")
        env.pop("VETRINA_PUBLIC_URL", None)
        os.environ.pop("VETRINA_PUBLIC_URL", None)
        os.environ.update(env)
        import logging

        logging.disable(logging.INFO)
        from chalicelib.local.server import LocalService

        photo = Path(folder) / "camera.jpg"
        photo.write_bytes(camera_jpeg())
        original = photo.stat().st_size
        with LocalService("127.0.0.1", 0) as service, sync_playwright() as playwright:
            publish(service.url)
            browser = launch(playwright)
            results: dict[str, list[tuple[float, int]]] = {"page": [], "naive": []}
            for _ in range(args.runs):  # interleaved: the machine's load falls on both alike
                for name in results:
                    results[name].append(one_send(browser, service.url, photo, args.up_mbit, naive=name == "naive"))
            browser.close()

    print(
        f"12 MP camera JPEG of {original / 1e6:.1f} MB, {args.up_mbit:g} Mbit/s up, 10 down, 60 ms; {args.runs} runs each (median, min–max)"
    )
    for name, label in (("page", "store page (resized on the phone)"), ("naive", "naive (the file as it is)")):
        times = [t for t, _ in results[name]]
        sent = results[name][0][1]
        print(f"  {label:36s} {statistics.median(times):5.1f} s ({min(times):.1f}–{max(times):.1f})  {sent / 1e6:.2f} MB sent")
    ratio = statistics.median(t for t, _ in results["naive"]) / statistics.median(t for t, _ in results["page"])
    print(f"  speed-up ×{ratio:.1f}")


if __name__ == "__main__":
    main()
