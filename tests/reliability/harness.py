"""Fault injection for the analysis path, and the invariants every fault must leave intact.

After any fault, driving the queue (and the recovery: dead letters, the sweep) until it is quiet
must leave: every accepted upload in a final status, the judged bytes matching the recorded
sha256, and HQ's counters equal to a recount from the submissions.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.services.analytics.outcomes import counters as outcome_counters
from chalicelib.services.analytics.outcomes import outcome_of
from chalicelib.storage import layout
from chalicelib.storage.ports import BlobNotFound
from chalicelib.wiring import Services
from tests.support.helpers import FakeAnalysis, hq_caller, seed_campaign

FINAL = ("done", "rejected", "error")


class Killed(BaseException):
    """The process died here (kill -9, a Lambda timeout): nothing after it runs, no except Exception sees it."""


def passing(photo, guideline, pack) -> FakeAnalysis:
    """A stand-in analysis (no image stack): every photo passes, scored by its size."""
    return FakeAnalysis(result={"verdict": "pass", "score": round(len(photo) % 97 / 97, 4), "rules": []})


class Faulty:
    """A proxy that runs ``fault(name, args, kwargs)`` before each call of the wrapped object's
    methods (``after(...)`` once it returned); either raises to inject a failure (or a death)."""

    def __init__(
        self,
        target: Any,
        fault: Callable[[str, tuple, dict], None] = lambda *a: None,
        after: Callable[[str, tuple, dict], None] = lambda *a: None,
    ):
        self._target = target
        self._fault = fault
        self._after = after

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._fault(name, args, kwargs)
            result = attr(*args, **kwargs)
            self._after(name, args, kwargs)
            return result

        return call


def nth_call(n: int, methods: tuple[str, ...], error: BaseException) -> Callable[[str, tuple, dict], None]:
    """Fail the ``n``-th call (1-based) of any of ``methods``, once."""
    seen = [0]

    def fault(name: str, args: tuple, kwargs: dict) -> None:
        if name in methods:
            seen[0] += 1
            if seen[0] == n:
                raise error

    return fault


def processor(svc: Services, *, records=None, blobs=None, counters=None, analyse=passing, **settings) -> UploadProcessor:
    return UploadProcessor(
        records or svc.records,
        blobs or svc.blobs,
        svc.campaigns,
        replace(svc.settings, **settings),
        analyse=analyse,
        events=svc.events,
        counters=counters or svc.counters,
    )


def upload(svc: Services, campaign_id: str, store_id: str, data: bytes) -> tuple[str, str]:
    """A submission whose photo is stored (as the bucket or the local upload route stores it)."""
    created = svc.submissions.create(hq_caller(), campaign_id, {"store_id": store_id, "content_type": "image/jpeg"})
    key = created["upload"]["fields"]["key"]
    svc.blobs.put(key, data, "image/jpeg")
    return created["submission_id"], key


def seeded(svc: Services, stores=("S001", "S002", "S003")) -> str:
    seed_campaign(svc, "c1", stores=stores)
    return "c1"


def drain(
    svc: Services, handle: Callable[[str], Any], *, timeout: float = 30.0, sweep_now: float | None = None, settle: float = 1.6
) -> None:
    """Deliver every message (the queue's visibility timeout brings failed ones back), end the dead
    letters, and sweep (as the schedule would, ``sweep_now`` seconds on), until nothing has moved
    for ``settle`` seconds (longer than the visibility timeout of the ``fast`` fixture)."""
    queue, recovery = svc.queue, svc.recovery
    deadline = time.time() + timeout
    last_move = time.time()
    while time.time() < deadline and time.time() - last_move < settle:
        moved = False
        for message in queue.receive(max_messages=10):
            moved = True
            try:
                handle(message.body)
            except (Exception, Killed):
                continue  # comes back after the visibility timeout
            queue.ack(message)
        for message in queue.dead_letters(max_messages=10):
            moved = True
            try:
                recovery.dead_letter(message.body)
            except Exception:
                continue
            queue.ack_dead_letter(message)
        swept = recovery.sweep(now=None if sweep_now is None else time.time() + sweep_now)
        moved = moved or bool(swept["requeued"] or swept["expired"])
        if moved:
            last_move = time.time()
        time.sleep(0.1)


def submissions_of(svc: Services, campaign_id: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = svc.records.query(
            layout.campaign_submissions_partition(campaign_id),
            index="gsi1",
            sk_prefix=layout.SUBMISSION_PREFIX,
            limit=100,
            cursor=cursor,
        )
        items += page.items
        if not page.cursor:
            return items
        cursor = page.cursor


def recount(svc: Services, campaign_id: str) -> dict[str, float]:
    """HQ's campaign counters as they should be: each target's newest finished photo, counted once."""
    targets = svc.records.query(f"CAMPAIGN#{campaign_id}", sk_prefix=layout.TARGET_PREFIX, limit=1000).items
    newest: dict[str, dict[str, Any]] = {}
    for item in submissions_of(svc, campaign_id):
        if item["status"] in FINAL and (
            item["store_id"] not in newest or item["created_at"] > newest[item["store_id"]]["created_at"]
        ):
            newest[item["store_id"]] = item
    total: dict[str, float] = defaultdict(float)
    for target in targets:
        total["targeted"] += 1
        sub = newest.get(target["store_id"])
        for name, value in outcome_counters(outcome_of(sub, target) if sub else None).items():
            total[name] += value
    return {k: round(v, 6) for k, v in total.items() if v}


def counted(svc: Services, campaign_id: str) -> dict[str, float]:
    item = svc.records.get(layout.campaign_aggregates_partition(campaign_id), layout.ALL) or {}
    numbers = {k: v for k, v in item.items() if not isinstance(v, (bool, str, dict, list)) and v is not None}
    return {
        k: round(float(v), 6)
        for k, v in numbers.items()
        if (":" in k or k in ("targeted", "submitted", "on_time", "score_sum", "scored")) and v
    }


def assert_invariants(svc: Services, campaign_id: str, accepted: list[str]) -> None:
    """Every accepted upload final; judged bytes = recorded sha256; counters = a recount."""
    for submission_id in accepted:
        item = svc.submissions.load(submission_id)
        assert item["status"] in FINAL, f"{submission_id} stuck in {item['status']}"
        if item["status"] != "error":
            try:
                data, _ = svc.blobs.get_version(item["upload_key"], item.get("photo_version"))
            except BlobNotFound:
                raise AssertionError(f"{submission_id}: the judged photo is gone") from None
            assert hashlib.sha256(data).hexdigest() == item["photo_sha256"], f"{submission_id}: judged bytes changed"
    assert counted(svc, campaign_id) == recount(svc, campaign_id)
