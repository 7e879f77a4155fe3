"""Submissions: a store's photo for a campaign, from the upload link to the verdict.

Status: awaiting_upload → queued (the photo is in storage) → analyzing → done | rejected | error.
The photo goes straight to storage through a presigned POST whose key the service chooses.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core import clock
from chalicelib.core.auth import Caller
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.ids import is_submission_id, new_submission_id
from chalicelib.core.settings import Settings
from chalicelib.core.validation import parse_model
from chalicelib.services.campaigns import Campaigns
from chalicelib.storage import layout
from chalicelib.storage.ports import BlobStore, ConditionFailed, RecordStore, eq

# What a phone can send; the bytes are checked again on arrival (intake sniffs the real type).
UPLOAD_TYPES = ("image/jpeg", "image/png", "image/heic", "image/heif", "image/webp")


class RetakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(default="image/jpeg", min_length=1, max_length=100)


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: str = Field(min_length=1, max_length=64)
    content_type: str = Field(min_length=1, max_length=100)


def submission_id_from_key(key: str) -> str | None:
    """The submission an uploaded photo's key belongs to, if it is one."""
    submission_id = layout.submission_id_from_upload_key(key)
    return submission_id if submission_id is not None and is_submission_id(submission_id) else None


class Submissions:
    def __init__(self, records: RecordStore, blobs: BlobStore, campaigns: Campaigns, settings: Settings):
        self._records = records
        self._blobs = blobs
        self._campaigns = campaigns
        self._settings = settings

    def resubmit(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        """A retake: a new submission for the same campaign and store, linked both ways."""
        previous = self.visible(caller, submission_id)
        request = parse_model(RetakeIn, body)
        created = self.create(
            caller,
            previous["campaign_id"],
            {"store_id": previous["store_id"], "content_type": request.content_type},
            previous_submission_id=submission_id,
        )
        self._records.update(
            *layout.submission_key(submission_id), set={"retaken_by": created["submission_id"], "updated_at": clock.now_iso()}
        )
        return created

    def create(self, caller: Caller, campaign_id: str, body: Any, previous_submission_id: str | None = None) -> dict[str, Any]:
        """A new submission and the presigned POST its photo goes up with."""
        request = parse_model(SubmissionIn, body)
        if caller.role == "store":  # checked before anything is looked up: nothing leaks about other stores
            caller.require_store(request.store_id, None)
        campaign = self._campaigns.visible(caller, campaign_id)
        if campaign["status"] != "published":
            raise Conflict(
                f"campaign {campaign_id!r} is {campaign['status']}: photos are taken while it is published",
                code=f"campaign_{campaign['status']}",
            )
        content_type = _upload_type(request.content_type)
        target = self._started_target(caller, campaign, request.store_id)
        item = self._new_item(campaign, target, request.store_id, content_type, previous_submission_id)
        # The sweep's marker first: a marker without its submission is cleared, a submission
        # without a marker would never be swept (chalicelib.services.recovery).
        pending_pk, pending_sk = layout.pending_key(item["created_epoch"], item["submission_id"])
        self._records.put({"pk": pending_pk, "sk": pending_sk, "submission_id": item["submission_id"]})
        self._records.put(item)
        expires_in = self._settings.upload_expires_in
        post = self._blobs.presigned_post(item["upload_key"], content_type, self._settings.max_upload_bytes, expires_in)
        return {
            "submission_id": item["submission_id"],
            "upload": {"url": post.url, "fields": post.fields},
            "expires_in": expires_in,
            "max_bytes": self._settings.max_upload_bytes,
        }

    def _started_target(self, caller: Caller, campaign: dict[str, Any], store_id: str) -> dict[str, Any]:
        """The store's target in the campaign, once the campaign has started in the store's timezone."""
        campaign_id = campaign["campaign_id"]
        target = self._campaigns.target(campaign_id, store_id)
        if target is None:
            raise InvalidInput(
                f"store {store_id!r} is not one of the stores of campaign {campaign_id!r}: check the store id",
                code="store_not_in_campaign",
                status=422,
            )
        caller.require_store(store_id, target["region"])
        if clock.now() < datetime.fromisoformat(target["starts_at"]):
            raise Conflict(
                f"campaign {campaign_id!r} starts on {campaign['start_date']} in your store's timezone "
                f"({target['timezone']}): set up the window and photograph it from then",
                code="campaign_not_started",
            )
        return target

    def _new_item(
        self,
        campaign: dict[str, Any],
        target: dict[str, Any],
        store_id: str,
        content_type: str,
        previous_submission_id: str | None,
    ) -> dict[str, Any]:
        campaign_id = campaign["campaign_id"]
        submission_id = new_submission_id()
        created_epoch = time.time()
        created = clock.now_iso()
        pk, sk = layout.submission_key(submission_id)
        listed = layout.submission_index(campaign_id, created, submission_id)
        item = {
            "pk": pk,
            "sk": sk,
            **listed,
            # The region is kept on the submission: the gallery lists a region's photos by index.
            **layout.submission_region_index(campaign_id, target["region"], listed["gsi1sk"]),
            "region": target["region"],
            "submission_id": submission_id,
            "campaign_id": campaign_id,
            "store_id": store_id,
            "content_type": content_type,
            "status": "awaiting_upload",
            "attempts": 0,
            "upload_key": layout.upload_key(submission_id),
            "upload_expires_at": int(created_epoch) + self._settings.upload_expires_in,
            "created_epoch": int(created_epoch),
            "guideline_version": campaign["guideline_version"],
            "created_at": created,
            "updated_at": created,
        }
        if previous_submission_id:
            item["previous_submission_id"] = previous_submission_id
        return item

    def load(self, submission_id: str) -> dict[str, Any]:
        if not is_submission_id(submission_id):
            raise NotFound(
                f"submission {submission_id!r} does not exist: submission ids look like sub_01J…", code="submission_not_found"
            )
        item = self._records.get(*layout.submission_key(submission_id))
        if item is None:
            raise NotFound(f"submission {submission_id!r} does not exist", code="submission_not_found")
        return item

    def visible(self, caller: Caller, submission_id: str) -> dict[str, Any]:
        """The submission, if the caller's scope covers its store; otherwise as if it did not exist."""
        item = self.load(submission_id)
        if not caller.may_see(item["store_id"], item.get("region")):
            raise NotFound(f"submission {submission_id!r} does not exist", code="submission_not_found")
        return item

    def get(self, caller: Caller, submission_id: str) -> dict[str, Any]:
        item = self.visible(caller, submission_id)
        if item["status"] == "awaiting_upload" and self._blobs.exists(item["upload_key"]):
            # The photo arrived but the analyzer has not picked it up yet.
            item = self.mark_queued(submission_id) or item
        out = {
            k: item[k]
            for k in ("submission_id", "campaign_id", "store_id", "status", "created_at", "updated_at", "guideline_version")
        }
        if item["status"] in ("rejected", "error", "expired"):
            out["reason"] = item.get("reason", "")
            out["reason_code"] = item.get("reason_code", "")
        if item["status"] == "done":
            out["result"] = item["result"]
        if item.get("photo_sha256"):
            out["photo_sha256"] = item["photo_sha256"]  # of the judged bytes, the ones the original link serves
        out["review"] = item.get("review", {"state": "pending"})
        out["overrides"] = item.get("overrides", {})
        out["featured"] = bool(item.get("featured_at"))
        for link in ("previous_submission_id", "retaken_by"):
            if item.get(link):
                out[link] = item[link]
        out["images"] = self._image_links(item)
        return out

    def mark_queued(self, submission_id: str) -> dict[str, Any] | None:
        try:
            return self._records.update(
                *layout.submission_key(submission_id),
                set={"status": "queued", "updated_at": clock.now_iso()},
                condition=eq("status", "awaiting_upload"),
            )
        except ConditionFailed:
            return None

    def _image_links(self, item: dict[str, Any]) -> dict[str, str]:
        expires = self._settings.link_expires_in
        links: dict[str, str] = {}
        if item["status"] not in ("awaiting_upload", "expired"):
            links["original"] = self._blobs.presigned_get(
                item["upload_key"], expires, version_id=item.get("photo_version"), attachment=True
            )
        for name, key in (item.get("derived") or {}).items():
            links[name] = self._blobs.presigned_get(key, expires)
        return links


def _upload_type(declared: str) -> str:
    content_type = declared.lower().strip()
    if content_type not in UPLOAD_TYPES:
        raise InvalidInput(
            f"content_type {declared!r} is not accepted: send a photo as one of {', '.join(UPLOAD_TYPES)}",
            code="unsupported_type",
        )
    return content_type
