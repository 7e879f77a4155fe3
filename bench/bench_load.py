"""Benchmark: a burst of uploads against the service as ``make run`` runs it.

    .venv/bin/python bench/bench_load.py [--uploads 120] [--clients 16] [--hostile 0.25]
        [--timeout 600] [--baseline 12] [--port 0]

The service runs in its own process (``python -m chalicelib.devtools.cli serve --no-demo`` on
127.0.0.1, a fresh data folder, the real analyzer), the clients in this one. Each client is a
store: it creates a submission, posts the photo to the upload link and polls the submission until
it is final, as the store's page does. Every ``1/--hostile``-th upload is hostile, in turn: a file
that is not a photo (text named .jpg, a truncated JPEG, an SVG, a PNG bomb), the same upload form
posted a second time (must be 409 and change nothing), or a Content-Length over the policy's
limit sent without its body (must be refused at once).

Printed: accepted uploads, final (done/rejected/error), lost (accepted and not final when the
burst has settled: must be 0), 5xx answers (must be 0), throughput (final photos per second of
the burst) and the API's p50/p95 (submission create and status calls). The reference in the same
run: ``--baseline`` uploads from one client, one at a time (the analyzer's own pace, no
contention), and the issue's probe before this work (1.5 photos/s on 2 cores, 300 uploads from
16 clients). Exit status 1 if anything was lost or answered 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FINAL = ("done", "rejected", "error")
REFERENCE = "issue 13's probe before this work: 300 uploads, 16 clients, 1.5 photos/s on 2 cores, 0 lost, 0 5xx"


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    api_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    final: dict[str, str] = field(default_factory=dict)
    server_errors: int = 0
    hostile_checks: Counter = field(default_factory=Counter)

    def call(self, session: requests.Session, method: str, url: str, api: bool = True, **kwargs) -> requests.Response:
        started = time.perf_counter()
        response = session.request(method, url, timeout=60, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            if api:
                self.api_ms.append(elapsed)
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors += 1
        return response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_service(data_dir: Path, port: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "VETRINA_BACKEND": "local", "VETRINA_DATA_DIR": str(data_dir), "PORT": str(port)}
    env.pop("VETRINA_PUBLIC_URL", None)
    log = open(data_dir / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.devtools.cli", "serve", "--no-demo", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if requests.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the service did not start; see {data_dir / 'server.log'}")


def photos(count: int) -> list[bytes]:
    from chalicelib.devtools.synthetic import to_jpeg, window_photo

    return [to_jpeg(window_photo(seed=seed), exif_orientation=1) for seed in range(count)]


def hostile_files() -> list[tuple[str, bytes]]:
    from tests.support import bad_files

    return [
        ("text named .jpg", bad_files.text_named_jpg()),
        ("truncated jpeg", bad_files.truncated_jpeg()),
        ("svg", bad_files.svg()),
        ("png bomb", bad_files.png_bomb()),
    ]


def burst(
    url: str,
    tokens: dict[str, str],
    stores: list[str],
    uploads: int,
    clients: int,
    hostile_every: int,
    good: list[bytes],
    bad: list[tuple[str, bytes]],
    timeout: float,
) -> tuple[Tally, float]:
    tally = Tally()
    jobs = list(range(uploads))
    jobs_lock = threading.Lock()
    started = time.perf_counter()
    finished_at: list[float] = []

    def client(index: int) -> None:
        store = stores[index % len(stores)]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[store]}"
        while True:
            with jobs_lock:
                if not jobs:
                    return
                job = jobs.pop()
            one_upload(session, store, job)

    def one_upload(session: requests.Session, store: str, job: int) -> None:
        hostile = hostile_every and job % hostile_every == hostile_every - 1
        kind = (job // max(hostile_every, 1)) % (len(bad) + 2) if hostile else -1
        created = tally.call(
            session, "POST", f"{url}/campaigns/load/submissions", json={"store_id": store, "content_type": "image/jpeg"}
        )
        if created.status_code != 201:
            return
        body = created.json()
        form = body["upload"]
        if kind == len(bad) + 1:  # a Content-Length over the limit, no body: refused before reading
            refused = _oversize_head(form["url"], body["max_bytes"])
            tally.hostile_checks["oversize refused at once" if refused else "oversize NOT refused"] += 1
            return
        data = bad[kind][1] if 0 <= kind < len(bad) else good[job % len(good)]
        posted = tally.call(
            session, "POST", form["url"], api=False, data=form["fields"], files={"file": ("photo.jpg", data, "image/jpeg")}
        )
        if posted.status_code != 204:
            return
        with tally.lock:
            tally.accepted.append(body["submission_id"])
        if kind == len(bad):  # the same form again: must not replace the photo
            again = tally.call(
                session,
                "POST",
                form["url"],
                api=False,
                data=form["fields"],
                files={"file": ("other.jpg", good[(job + 1) % len(good)], "image/jpeg")},
            )
            tally.hostile_checks["reused form 409" if again.status_code == 409 else f"reused form {again.status_code}"] += 1
        deadline = time.time() + timeout
        while time.time() < deadline:
            status = tally.call(session, "GET", f"{url}/submissions/{body['submission_id']}")
            if status.status_code == 200 and status.json()["status"] in FINAL:
                with tally.lock:
                    tally.final[body["submission_id"]] = status.json()["status"]
                    finished_at.append(time.perf_counter())
                return
            time.sleep(0.5)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = (max(finished_at) if finished_at else time.perf_counter()) - started
    return tally, elapsed


def _oversize_head(upload_url: str, max_bytes: int) -> bool:
    host, port = upload_url.split("//", 1)[1].split("/", 1)[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        started = time.perf_counter()
        sock.sendall(
            f"POST /local/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {max_bytes * 20}\r\n\r\n".encode()
        )
        answer = sock.recv(4096)
        return answer.startswith(b"HTTP/1.1 413") and time.perf_counter() - started < 2


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(label: str, tally: Tally, elapsed: float) -> dict:
    lost = [s for s in tally.accepted if s not in tally.final]
    figures = {
        "accepted": len(tally.accepted),
        "final": len(tally.final),
        "lost": len(lost),
        "5xx": tally.server_errors,
        "outcomes": dict(Counter(tally.final.values())),
        "throughput_per_s": round(len(tally.final) / elapsed, 2) if elapsed > 0 else None,
        "api_p50_ms": round(percentile(tally.api_ms, 0.5), 1),
        "api_p95_ms": round(percentile(tally.api_ms, 0.95), 1),
        "api_calls": len(tally.api_ms),
        "seconds": round(elapsed, 1),
        "hostile": dict(tally.hostile_checks),
    }
    print(f"{label}: " + json.dumps(figures), flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=120)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--hostile", type=float, default=0.25, help="share of hostile uploads")
    parser.add_argument("--baseline", type=int, default=12, help="uploads of the one-client reference")
    parser.add_argument("--timeout", type=float, default=600, help="seconds an upload may take to be final")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="vetrina-bench-load-"))
    os.environ.update(VETRINA_BACKEND="local", VETRINA_DATA_DIR=str(data_dir))
    port = args.port or free_port()
    proc, url = start_service(data_dir, port)
    try:
        from chalicelib.core.auth import mint
        from chalicelib.core.settings import Settings
        from tests.support.helpers import campaign_body, store_rows

        settings = Settings.from_env()
        stores = [f"S{n:03d}" for n in range(1, args.clients + 1)]
        hq = requests.Session()
        hq.headers["Authorization"] = f"Bearer {mint(settings, 'hq')}"
        assert hq.put(f"{url}/stores", json=store_rows(stores), timeout=30).status_code == 200
        assert hq.put(f"{url}/campaigns/load", json=campaign_body(stores), timeout=30).status_code in (200, 201)
        assert hq.post(f"{url}/campaigns/load/publish", timeout=30).status_code == 200
        tokens = {s: mint(settings, "store", stores=(s,)) for s in stores}
        good, bad = photos(8), hostile_files()
        every = round(1 / args.hostile) if args.hostile > 0 else 0
        print(f"service on {url} (pid {proc.pid}, {os.cpu_count()} cores); data in {data_dir}", flush=True)

        tally, elapsed = burst(url, tokens, stores[:1], args.baseline, 1, 0, good, bad, args.timeout)
        baseline = report(f"baseline ({args.baseline} good uploads, 1 client, one at a time)", tally, elapsed)
        tally, elapsed = burst(url, tokens, stores, args.uploads, args.clients, every, good, bad, args.timeout)
        figures = report(f"burst ({args.uploads} uploads, {args.clients} clients, 1 in {every} hostile)", tally, elapsed)
        print(f"reference: {REFERENCE}")
        if baseline["throughput_per_s"]:
            print(f"burst throughput / one-client throughput: {figures['throughput_per_s'] / baseline['throughput_per_s']:.2f}")
        ok = figures["lost"] == 0 and figures["5xx"] == 0 and baseline["lost"] == 0 and baseline["5xx"] == 0
        print("OK: nothing lost, no 5xx" if ok else "FAILED: uploads lost or 5xx answers", flush=True)
        return 0 if ok else 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
