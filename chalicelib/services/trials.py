"""Trying a test photo against a campaign's draft before publishing: HQ's "what would the analyzer
say of this window?", the same run as ``cli check``, on the way the store's photos take.

The API function has no image stack (infra/build_artifacts.py), so a trial is a job on the
analysis queue like re-runs and exports: HQ asks for an upload link (the draft guideline travels
with the request and is kept on the trial), posts the photo to its own prefix (``trials/``: the
bucket notifies no one, so it is never a submission), then asks for the run; the worker judges
the photo by that guideline and the campaign's pack as it is now, and keeps the result and the
overlay on the trial, which the page polls. Trials live in their own partition: no listing, no
gallery and no counter reads them; the record expires (the table's time to live) with its blobs.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core import clock
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.guideline import GuidelineError, parse_guideline
from chalicelib.core.ids import is_trial_id, new_trial_id
from chalicelib.core.settings import Settings
from chalicelib.core.validation import parse_model
from chalicelib.services.campaigns import Campaigns
from chalicelib.storage import layout
from chalicelib.storage.ports import BlobStore, ConditionFailed, RecordStore, WorkQueue, eq, one_of

# What the analyzer's intake decodes (HEIC is a phone's, not a desk's: a laptop sends JPEG/PNG/WebP).
TRIAL_TYPES = ("image/jpeg", "image/png", "image/webp")


class TrialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guideline: dict[str, Any] = Field(description="the draft guideline, as PUT /campaigns/{id} takes it")
    content_type: str = Field(min_length=1, max_length=100)


class Trials:
    def __init__(self, records: RecordStore, blobs: BlobStore, campaigns: Campaigns, queue: WorkQueue, settings: Settings):
        self._records = records
        self._blobs = blobs
        self._campaigns = campaigns
        self._queue = queue  # the job goes to the analyzer, as re-runs and exports do
        self._settings = settings

    def start(self, username: str, campaign_id: str, body: Any) -> dict[str, Any]:
        """A trial of the draft guideline and an upload link for its photo."""
        request = parse_model(TrialIn, body)
        campaign = self._campaigns.load(campaign_id)
        if request.content_type not in TRIAL_TYPES:
            raise InvalidInput(
                f"the test photo must be a JPEG, PNG or WebP image, not {request.content_type!r}", code="unsupported_type"
            )
        try:
            guideline = parse_guideline(request.guideline)
        except GuidelineError as err:
            raise InvalidInput("; ".join(f"guideline.{f}: {m}" for f, m in err.problems), code="invalid_guideline") from None
        pack = campaign.get("pack", {})
        missing = [name for name in guideline.pack_files() if name not in pack or not self._blobs.exists(pack[name]["key"])]
        if missing:
            raise InvalidInput(
                f"the draft names pack files not uploaded yet: {', '.join(missing)}; upload them in the pack section first",
                code="pack_incomplete",
                status=422,
            )
        trial_id = new_trial_id()
        pk, sk = layout.trial_key(trial_id)
        photo_key = layout.trial_blob_key(trial_id, "photo")
        self._records.put(
            {
                "pk": pk,
                "sk": sk,
                "trial_id": trial_id,
                "campaign_id": campaign_id,
                "guideline": guideline.to_document(),
                "status": "awaiting_upload",
                "photo_key": photo_key,
                "requested_by": username,
                "created_at": clock.now_iso(),
                # the record goes with its blobs (the bucket's lifecycle rule): nothing reads a trial a day on
                layout.TTL_ATTRIBUTE: int(clock.now().timestamp()) + layout.TRIAL_RETENTION_DAYS * 86400,
            }
        )
        expires_in = self._settings.upload_expires_in
        post = self._blobs.presigned_post(photo_key, request.content_type, self._settings.max_upload_bytes, expires_in)
        return {
            "trial_id": trial_id,
            "status": "awaiting_upload",
            "upload": {"url": post.url, "fields": post.fields},
            "expires_in": expires_in,
            "max_bytes": self._settings.max_upload_bytes,
        }

    def run(self, campaign_id: str, trial_id: str) -> dict[str, Any]:
        """Queue the uploaded photo's analysis (once; asking again while it runs changes nothing)."""
        item = self._load(campaign_id, trial_id)
        if not self._blobs.exists(item["photo_key"]):
            raise Conflict("the test photo has not arrived: upload it with the trial's link first", code="not_uploaded")
        try:
            self._records.update(
                *layout.trial_key(trial_id),
                set={"status": "queued", "queued_at": clock.now_iso()},
                condition=one_of("status", ("awaiting_upload",)),
            )
        except ConditionFailed:
            return self.get(campaign_id, trial_id)
        self._queue.send(json.dumps({"job": "trial", "trial_id": trial_id}))
        return {"trial_id": trial_id, "campaign_id": campaign_id, "status": "queued"}

    def get(self, campaign_id: str, trial_id: str) -> dict[str, Any]:
        item = self._load(campaign_id, trial_id)
        out: dict[str, Any] = {k: item[k] for k in ("trial_id", "campaign_id", "status", "created_at") if k in item}
        if item["status"] == "done":
            out["result"] = item["result"]
            out["overlay"] = self._blobs.presigned_get(item["overlay_key"], self._settings.link_expires_in)
            out["finished_at"] = item["finished_at"]
        elif item["status"] in ("rejected", "failed"):
            out.update(reason=item.get("reason", ""), reason_code=item.get("reason_code", ""), finished_at=item["finished_at"])
        return out

    def _load(self, campaign_id: str, trial_id: str) -> dict[str, Any]:
        item = self._records.get(*layout.trial_key(trial_id)) if is_trial_id(trial_id) else None
        if item is None or item["campaign_id"] != campaign_id:
            raise NotFound(f"trial {trial_id!r} of campaign {campaign_id!r} does not exist", code="trial_not_found")
        return item


# --- what the worker writes (chalicelib.analyzer.trials) ----------------------------------------------


def claim(records: RecordStore, trial_id: str) -> dict[str, Any] | None:
    """The trial to run, marked running with one more attempt; None if it is finished (a duplicate
    message) or gone."""
    try:
        return records.update(
            *layout.trial_key(trial_id),
            set={"status": "running"},
            add={"attempts": 1},
            condition=one_of("status", ("queued", "running")),
        )
    except ConditionFailed:
        return None


def finish(records: RecordStore, trial_id: str, changes: dict[str, Any]) -> None:
    records.update(
        *layout.trial_key(trial_id), set={**changes, "finished_at": clock.now_iso()}, condition=eq("status", "running")
    )


STOPPED_REASON = "The analysis of the test photo stopped on every attempt: try again, or with a smaller photo."


def stop_trial(records: RecordStore, trial_id: str) -> str:
    """A trial whose job died on every attempt (the dead-letter queue's consumer): failed, in words."""
    try:
        records.update(
            *layout.trial_key(trial_id),
            set={"status": "failed", "reason_code": "analysis_stopped", "reason": STOPPED_REASON, "finished_at": clock.now_iso()},
            condition=one_of("status", ("queued", "running")),
        )
    except ConditionFailed:
        return "final"
    return "failed"
