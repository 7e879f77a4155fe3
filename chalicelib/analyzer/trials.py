"""HQ's test photo judged by a draft guideline (chalicelib.services.trials starts it): the same
analysis as a store's photo, and as ``cli check``, with the result and the overlay kept on the
trial instead of a submission: nothing is counted, nothing is published, nothing reaches the gallery."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chalicelib.analyzer.processing import Analyse, AnalysedPhoto, BlobPack
from chalicelib.core.guideline import Guideline, parse_guideline
from chalicelib.core.settings import Settings
from chalicelib.services.campaigns import Campaigns
from chalicelib.services.trials import claim, finish
from chalicelib.storage import layout
from chalicelib.storage.ports import BlobNotFound, BlobStore, ConditionFailed, RecordStore

if TYPE_CHECKING:
    from chalicelib.vision.context import Pack

log = logging.getLogger(__name__)


def _analyse(photo: bytes, guideline: Guideline, pack: Pack) -> AnalysedPhoto:
    from chalicelib.vision.analysis import analyse  # the image stack loads when a photo is judged

    return analyse(photo, guideline, pack)


class TrialRunner:
    def __init__(
        self, records: RecordStore, blobs: BlobStore, campaigns: Campaigns, settings: Settings, analyse: Analyse = _analyse
    ):
        self._records = records
        self._blobs = blobs
        self._campaigns = campaigns
        self._settings = settings
        self._analyse = analyse

    def run(self, trial_id: str) -> str:
        item = claim(self._records, trial_id)
        if item is None:
            return "trial: nothing to do"
        try:
            changes = self._judge(item)
        except Exception as exc:
            if item.get("attempts", 1) < self._settings.max_attempts:
                raise  # the queue retries it
            log.exception("trial %s failed after %d attempts", trial_id, item["attempts"])
            changes = {
                "status": "failed",
                "reason_code": "analysis_failed",
                "reason": f"The test photo could not be analysed ({type(exc).__name__}): try again, or with another photo.",
            }
        try:
            finish(self._records, trial_id, changes)
        except ConditionFailed:
            return "trial: another run finished it"
        return f"trial: {changes['status']}"

    def _judge(self, item: dict[str, Any]) -> dict[str, Any]:
        from chalicelib.vision.intake import IntakeRejected

        campaign = self._campaigns.load(item["campaign_id"])
        try:
            photo = self._blobs.get(item["photo_key"])
        except BlobNotFound:
            return {"status": "failed", "reason_code": "not_uploaded", "reason": "The test photo is gone: upload it again."}
        try:
            analysis = self._analyse(photo, parse_guideline(item["guideline"]), BlobPack(self._blobs, campaign.get("pack", {})))
        except IntakeRejected as rejected:
            return {"status": "rejected", "reason": rejected.reason, "reason_code": rejected.code}
        overlay_key = layout.trial_blob_key(item["trial_id"], "overlay.jpg")
        self._blobs.put(overlay_key, analysis.overlay_jpeg, "image/jpeg")
        return {"status": "done", "result": dict(analysis.result), "overlay_key": overlay_key}
