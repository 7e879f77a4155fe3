"""Every accepted photo reaches a final status: what the happy path cannot promise by itself.

- **Dead letters.** A message the analyzer could not finish in ``max_attempts`` deliveries (the
  process died each time: a Lambda timeout or out-of-memory, a kill -9 locally) reaches the
  dead-letter queue without the processor's own give-up path having run. ``dead_letter`` ends its
  submission as ``error`` (``analysis_stopped``), counts it and tells the listeners, once. A
  submission under a live lease (a duplicate being analysed now) is left to that worker: the
  message is refused and comes back later.
- **The sweep.** Every submission has a marker in the small ``PENDING`` partition
  (chalicelib.storage.layout) until it is final, so the sweep reads that partition, oldest first,
  and never scans the table. A stored photo whose notification was lost (the queue insert failed,
  the message expired) is queued again; a submission whose upload never came is ``expired`` after
  its link's life (out of the gallery's indexes; an unfinished submission is never counted).

Both run in AWS (app.py: the dead-letter queue's handler and a schedule) and locally (the local
worker drains the dead letters and runs the sweep on a timer).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from chalicelib.core import clock
from chalicelib.core.settings import Settings
from chalicelib.core.vocabulary import UNFINISHED_STATUSES
from chalicelib.services.analytics import Counters
from chalicelib.services.submissions import submission_id_from_key
from chalicelib.services.trials import stop_trial
from chalicelib.storage import layout
from chalicelib.storage.notifications import created_keys, object_created_event
from chalicelib.storage.ports import BlobStore, ConditionFailed, EventPublisher, RecordStore, WorkQueue, eq, lt, one_of

log = logging.getLogger(__name__)

SWEEP_PAGE = 200
SWEEP_BUDGET = 5_000  # markers looked at per run (past the ones still waiting): a run stays short
STOPPED_REASON = (
    "The photo could not be analysed: the analysis stopped on every attempt. HQ has been told; you can also send the photo again."
)
EXPIRED_REASON = "No photo was uploaded before the upload link expired: start a new photo."


EXPORT_FAILED_REASON = "The export could not be written after every attempt: start it again; if it fails again, tell the team."


class StillAnalysing(RuntimeError):
    """A dead letter whose submission a live worker holds: refuse it, it comes back later."""


def publish_finished(events: EventPublisher | None, item: dict[str, Any]) -> None:
    """``analysis.finished`` for a submission in its final status (the processor's payload)."""
    if events is None:
        return
    events.publish(
        "analysis.finished",
        {
            "submission_id": item["submission_id"],
            "campaign_id": item["campaign_id"],
            "store_id": item["store_id"],
            "status": item["status"],
            "verdict": (item.get("result") or {}).get("verdict"),
            "reason": item.get("reason"),
        },
    )


class Recovery:
    def __init__(
        self,
        records: RecordStore,
        blobs: BlobStore,
        queue: WorkQueue,
        events: EventPublisher,
        counters: Counters,
        settings: Settings,
        bucket: str,
    ):
        self._records = records
        self._blobs = blobs
        self._queue = queue
        self._events = events
        self._counters = counters
        self._settings = settings
        self._bucket = bucket  # the notifications' bucket name (the worker reads the key only)

    # --- dead letters ----------------------------------------------------------------------------

    def dead_letter(self, body: str) -> list[str]:
        """End the submissions a dead letter names; return each outcome ("error", "final", "ignored")."""
        try:
            keys = created_keys(body)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.error("dead letter that is not a storage notification: %.200s", body)
            return ["ignored"]
        if not keys:
            # A job ({"job": ...}) that failed every attempt: an export ends as failed (its page stops
            # waiting); a re-run's page is in the logs and the DLQ alarm, and HQ can start it again.
            log.error("dead letter without photos (a job?): %.200s", body)
            return [self._fail_export(body)]
        return [self.stop(submission_id) for submission_id in map(submission_id_from_key, keys) if submission_id]

    def _fail_export(self, body: str) -> str:
        try:
            job = json.loads(body)
        except ValueError:
            return "ignored"
        if isinstance(job, dict) and job.get("job") == "trial" and isinstance(job.get("trial_id"), str):
            return stop_trial(self._records, job["trial_id"])  # HQ's test photo: its page stops waiting too
        if not (isinstance(job, dict) and job.get("job") == "export" and isinstance(job.get("export_id"), str)):
            return "ignored"
        try:
            self._records.update(
                *layout.export_key(job["export_id"]),
                set={"status": "failed", "reason": EXPORT_FAILED_REASON, "finished_at": clock.now_iso()},
                condition=eq("status", "queued"),
            )
        except ConditionFailed:
            return "final"
        return "failed"

    def stop(self, submission_id: str, now: float | None = None) -> str:
        now = time.time() if now is None else now
        pk, sk = layout.submission_key(submission_id)
        at = clock.now_iso()
        try:
            stopped = self._records.update(
                pk,
                sk,
                set={
                    "status": "error",
                    "reason_code": "analysis_stopped",
                    "reason": STOPPED_REASON,
                    "updated_at": at,
                    "analyzed_at": at,
                },
                remove=("lease_token", "lease_until"),
                condition=one_of("status", ("awaiting_upload", "queued")) | (eq("status", "analyzing") & lt("lease_until", now)),
            )
        except ConditionFailed:
            item = self._records.get(pk, sk)
            if item is None:
                return "ignored"
            if item["status"] == "analyzing":
                raise StillAnalysing(f"{submission_id} is being analysed under a live lease; its dead letter waits") from None
            self._counters.record(item)  # idempotent: mends a crash between a final status and its counters
            return "final"
        log.error("%s: its message reached the dead-letter queue; ended as error (analysis_stopped)", submission_id)
        self._counters.record(stopped)
        publish_finished(self._events, stopped)
        return "error"

    # --- the sweep ---------------------------------------------------------------------------------

    def sweep(self, now: float | None = None) -> dict[str, int]:
        """One pass over the unfinished submissions older than ``sweep_after``; return what it did."""
        now = time.time() if now is None else now
        bound = self._settings.sweep_after
        done = {"requeued": 0, "expired": 0, "cleared": 0, "waiting": 0}
        cursor: str | None = None
        seen = 0
        while seen < SWEEP_BUDGET:
            page = self._records.query(layout.PENDING, limit=SWEEP_PAGE, cursor=cursor)
            for marker in page.items:
                if layout.pending_created(marker["sk"]) > now - bound:
                    return self._told(done)  # the rest are younger: their notifications are still on their way
                done[self._sweep_one(marker, now, bound)] += 1
            seen += len(page.items)
            cursor = page.cursor
            if cursor is None:
                break
        return self._told(done)

    @staticmethod
    def _told(done: dict[str, int]) -> dict[str, int]:
        if any(done[k] for k in ("requeued", "expired")):
            log.warning("sweep: %s", done)
        return done

    def _sweep_one(self, marker: dict[str, Any], now: float, bound: int) -> str:
        submission_id = layout.pending_submission_id(marker["sk"])
        item = self._records.get(*layout.submission_key(submission_id))
        status = item["status"] if item else None
        if status not in UNFINISHED_STATUSES:
            self._records.delete(marker["pk"], marker["sk"])  # final (or gone): nothing left to watch
            return "cleared"
        assert item is not None
        if marker.get("sent_at", 0) > now - bound:
            return "waiting"  # queued again recently: give that message its time
        if status == "awaiting_upload":
            if self._blobs.exists(item["upload_key"]):
                return self._requeue(marker, item, now)
            if now > item["upload_expires_at"] + bound:
                return self._expire(marker, item)
            return "waiting"
        if status == "analyzing" and item.get("lease_until", 0) > now - bound:
            return "waiting"  # a live (or just expired) lease: its message comes back by itself
        return self._requeue(marker, item, now)  # queued, or a lease long dead: the message is lost

    def _requeue(self, marker: dict[str, Any], item: dict[str, Any], now: float) -> str:
        """Send the upload's notification again (a duplicate is harmless: the processor claims once)."""
        if item["status"] == "awaiting_upload":
            try:
                self._records.update(
                    *layout.submission_key(item["submission_id"]),
                    set={"status": "queued", "updated_at": clock.now_iso()},
                    condition=eq("status", "awaiting_upload"),
                )
            except ConditionFailed:
                pass
        self._queue.send(object_created_event(self._bucket, item["upload_key"], 0))
        self._records.update(marker["pk"], marker["sk"], set={"sent_at": now})
        log.warning("%s: %s with no analysis in sight; queued again", item["submission_id"], item["status"])
        return "requeued"

    def _expire(self, marker: dict[str, Any], item: dict[str, Any]) -> str:
        try:
            self._records.update(
                *layout.submission_key(item["submission_id"]),
                set={
                    "status": "expired",
                    "reason_code": "upload_expired",
                    "reason": EXPIRED_REASON,
                    "updated_at": clock.now_iso(),
                },
                remove=layout.INDEX_ATTRIBUTES,  # out of the gallery's listings
                condition=eq("status", "awaiting_upload"),
            )
        except ConditionFailed:
            return "waiting"  # the photo arrived meanwhile: the next pass sees it
        self._records.delete(marker["pk"], marker["sk"])
        return "expired"
