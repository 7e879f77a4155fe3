"""From an uploaded photo to a stored verdict, safely under at-least-once delivery.

Every storage notification may arrive more than once, at the same time on two workers, or after
a worker died half-way. So a photo is *claimed* with a conditional write (status → analyzing, a
lease token and a lease expiry, attempts + 1) and its result is written only if the claim is
still ours. A duplicate finds the photo done, or claimed by a live lease, and does nothing; a
retry after a crash finds the lease expired and finishes the work. After ``max_attempts`` failed
attempts the submission ends as ``error`` with its reason and the exception is re-raised, so the
queue moves the message to its dead-letter queue.

The image work itself (``analyse``) is pure: bytes and a guideline in, a result out.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.analyzer.observability import metric, working_on
from chalicelib.core.clock import now_iso
from chalicelib.core.guideline import Guideline
from chalicelib.core.settings import Settings
from chalicelib.core.vocabulary import CLAIMABLE_STATUSES, FINAL_STATUSES
from chalicelib.services.analytics import Counters
from chalicelib.services.campaigns import Campaigns
from chalicelib.services.recovery import publish_finished
from chalicelib.services.submissions import submission_id_from_key
from chalicelib.storage.layout import derived_key, submission_key
from chalicelib.storage.notifications import created_keys
from chalicelib.storage.ports import BlobNotFound, BlobStore, ConditionFailed, EventPublisher, RecordStore, eq, lt, one_of
from chalicelib.wiring import Services

if TYPE_CHECKING:  # the image stack loads only when a photo is analysed
    from chalicelib.vision.context import Pack

log = logging.getLogger(__name__)


class AnalysedPhoto(Protocol):
    """What the processor stores of an analysis: chalicelib.vision.analysis.Analysis, or a
    stand-in that needs no image stack."""

    @property
    def result(self) -> Mapping[str, Any]: ...  # the JSON stored with the submission
    @property
    def normalised_jpeg(self) -> bytes: ...
    @property
    def thumbnail_jpeg(self) -> bytes: ...
    @property
    def overlay_jpeg(self) -> bytes: ...


Analyse = Callable[[bytes, Guideline, "Pack"], AnalysedPhoto]


def _default_analyse(photo: bytes, guideline: Guideline, pack: Pack) -> AnalysedPhoto:
    # Imported here: the API functions never load the image stack.
    from chalicelib.vision.analysis import analyse

    return analyse(photo, guideline, pack)


@functools.lru_cache(maxsize=16)
def _pack_blob(blobs: BlobStore, key: str) -> bytes:
    # A pack file's key is new at every upload, so its bytes never change: a warm analyzer reads
    # each artwork and reference photo from storage once, not once per photo.
    return blobs.get(key)


class BlobPack:
    """A campaign's guideline pack (artworks, reference photos), read from the blob store."""

    def __init__(self, blobs: BlobStore, files: dict[str, dict[str, str]]):
        self._blobs = blobs
        self._files = files

    def read(self, name: str) -> bytes:
        from chalicelib.vision.context import PackMissing

        entry = self._files.get(name)
        if entry is None:
            raise PackMissing(f"the guideline pack has no file {name!r}: upload it with POST /campaigns/{{id}}/pack")
        try:
            return _pack_blob(self._blobs, entry["key"])  # type: ignore[arg-type]  # adapters hash by identity
        except BlobNotFound:
            raise PackMissing(f"the pack file {name!r} was announced but never uploaded") from None

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._files))


class UploadProcessor:
    def __init__(
        self,
        records: RecordStore,
        blobs: BlobStore,
        campaigns: Campaigns,
        settings: Settings,
        analyse: Analyse = _default_analyse,
        events: EventPublisher | None = None,
        counters: Counters | None = None,
    ):
        self._events = events
        self._counters = counters  # HQ's counters, kept as results are written
        self._records = records
        self._blobs = blobs
        self._campaigns = campaigns
        self._settings = settings
        self._analyse = analyse

    def handle_message(self, body: str) -> list[str]:
        """Process every photo a storage notification reports; return each outcome."""
        return [self.process(key) for key in created_keys(body)]

    def process(self, key: str) -> str:
        submission_id = submission_id_from_key(key)
        if submission_id is None:
            log.warning("ignoring object that is not a submission upload: %s", key)
            return "ignored"
        with working_on(submission_id):
            started = time.perf_counter()
            outcome = self._process(submission_id, key)
            metric("Analyses", 1, Outcome=outcome)
            if outcome in ("done", "rejected"):
                metric("AnalysisTime", round((time.perf_counter() - started) * 1000, 1), "Milliseconds")
            return outcome

    def _process(self, submission_id: str, key: str) -> str:
        pk, sk = submission_key(submission_id)
        item = self._records.get(pk, sk)
        if item is None:
            log.warning("upload for a submission that does not exist: %s", submission_id)
            return "ignored"
        if item["status"] in FINAL_STATUSES:
            log.info("duplicate notification for %s (already %s)", submission_id, item["status"])
            self._count(item)  # a crash may have come between the result and its counters
            return "duplicate"

        token = secrets.token_hex(8)
        now = time.time()
        try:
            item = self._records.update(
                pk,
                sk,
                set={
                    "status": "analyzing",
                    "lease_token": token,
                    "lease_until": now + self._settings.lease_seconds,
                    "updated_at": now_iso(),
                },
                add={"attempts": 1},
                condition=one_of("status", CLAIMABLE_STATUSES) | (eq("status", "analyzing") & lt("lease_until", now)),
            )
        except ConditionFailed:
            log.info("%s is being analysed by another worker, or is finished", submission_id)
            return "duplicate"

        try:
            outcome, changes = self._analyse_submission(item, key)
        except Exception as exc:
            self._after_failure(item, token, exc)
            raise
        finished = self._finish(pk, sk, token, changes)
        if finished is not None:
            self._count(finished)
            self._report(item, changes)
        log.info("%s: %s", submission_id, outcome)
        return outcome

    def _report(self, item: dict[str, Any], changes: dict[str, Any]) -> None:
        """A finished analysis counts in the metrics and is told to the event's listeners."""
        verdict = (changes.get("result") or {}).get("verdict")
        if verdict:
            metric("Verdicts", 1, Verdict=verdict)
        if changes["status"] == "rejected":
            metric("Rejections", 1, Reason=changes.get("reason_code", "unknown"))
        if self._events is None:
            return
        self._events.publish(
            "analysis.finished",
            {
                "submission_id": item["submission_id"],
                "campaign_id": item["campaign_id"],
                "store_id": item["store_id"],
                "status": changes["status"],
                "verdict": verdict,
                "reason": changes.get("reason"),
            },
        )

    def _analyse_submission(self, item: dict[str, Any], key: str) -> tuple[str, dict[str, Any]]:
        from chalicelib.vision.intake import IntakeRejected

        campaign = self._campaigns.load(item["campaign_id"])
        guideline = self._campaigns.guideline(campaign)
        # The judged bytes: the version recorded by an earlier run (a re-run judges the same photo),
        # else the current one, recorded with its sha256 (links and exports serve exactly these).
        photo, version = self._blobs.get_version(key, item.get("photo_version"))
        judged = {"photo_sha256": hashlib.sha256(photo).hexdigest(), "photo_version": version}
        try:
            analysis = self._analyse(photo, guideline, BlobPack(self._blobs, campaign.get("pack", {})))
        except IntakeRejected as rejected:
            return "rejected", {"status": "rejected", "reason": rejected.reason, "reason_code": rejected.code, **judged}
        derived = {}
        for name, data in (
            ("normalised", analysis.normalised_jpeg),
            ("thumbnail", analysis.thumbnail_jpeg),
            ("overlay", analysis.overlay_jpeg),
        ):
            derived[name] = derived_key(item["submission_id"], f"{name}.jpg")
            self._blobs.put(derived[name], data, "image/jpeg")
        result = {**analysis.result, "guideline_version": campaign["guideline_version"]}
        return "done", {
            "status": "done",
            "result": result,
            "derived": derived,
            "guideline_version": campaign["guideline_version"],
            **judged,
        }

    def _count(self, item: dict[str, Any]) -> None:
        if self._counters is not None:
            self._counters.record(item)

    def _finish(self, pk: str, sk: str, token: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Write the outcome if the claim is still ours (and return the submission); None if
        another worker took over."""
        try:
            return self._records.update(
                pk,
                sk,
                set={**changes, "updated_at": now_iso(), "analyzed_at": now_iso()},
                remove=("lease_token", "lease_until"),
                condition=eq("status", "analyzing") & eq("lease_token", token),
            )
        except ConditionFailed:
            # Our lease ran out and another worker took over; its result stands.
            log.warning("%s: lost the claim before finishing; the other worker's result stands", pk)
            return None

    def _after_failure(self, item: dict[str, Any], token: str, exc: Exception) -> None:
        pk, sk = submission_key(item["submission_id"])
        final = item["attempts"] >= self._settings.max_attempts
        metric("AnalysisFailures", 1, Final=str(final).lower())
        log.exception(
            "%s: analysis attempt %d failed%s", item["submission_id"], item["attempts"], " (giving up)" if final else ""
        )
        changes: dict[str, Any] = {"updated_at": now_iso(), "last_error": f"{type(exc).__name__}: {exc}"[:500]}
        if final:
            changes.update(
                status="error",
                reason_code="analysis_failed",
                reason=f"The photo could not be analysed after {item['attempts']} attempts. HQ has been told; you can also send the photo again.",
            )
        else:
            changes["lease_until"] = 0  # let the retry claim it at once
        try:
            failed = self._records.update(pk, sk, set=changes, condition=eq("lease_token", token))
        except ConditionFailed:
            return
        if final:
            self._count(failed)
            publish_finished(self._events, failed)  # the store's page and HQ hear of it, as of a verdict


def processor_for(services: Services) -> UploadProcessor:
    """The processor on a process's services, after checking at start that every model file
    matches its manifest: a broken deployment fails loudly, not wrongly."""
    from chalicelib.vision.analysis import BUNDLED_MODELS
    from chalicelib.vision.inference import default_models

    default_models().verify(list(BUNDLED_MODELS))
    return UploadProcessor(
        services.records,
        services.blobs,
        services.campaigns,
        services.settings,
        events=services.events,
        counters=services.counters,
    )
