"""Campaigns: what a store must set up (the guideline), for which stores, and when."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.guideline import FILE_NAME_PATTERN, Guideline, GuidelineError, parse_guideline
from chalicelib.ids import CLIENT_ID_PATTERN, new_pack_file_id
from chalicelib.settings import Settings
from chalicelib.storage.ports import BlobStore, ConditionFailed, Page, RecordStore, eq
from chalicelib.validation import parse_model

_ID = re.compile(CLIENT_ID_PATTERN)
MAX_LIST = 100


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    start_date: date
    deadline: date
    stores: list[str] = Field(min_length=1, max_length=20000)
    guideline: dict[str, Any]

    @field_validator("stores")
    @classmethod
    def _store_ids(cls, stores: list[str]) -> list[str]:
        bad = [s for s in stores if not _ID.match(s)]
        if bad:
            raise ValueError(f"store ids must be 1-64 letters, digits, '-' or '_': {bad[:3]}")
        if len(set(stores)) != len(stores):
            raise ValueError("store ids must not repeat")
        return stores

    @model_validator(mode="after")
    def _dates(self) -> "CampaignIn":
        if self.deadline < self.start_date:
            raise ValueError(f"deadline ({self.deadline}) is before start_date ({self.start_date})")
        return self


PACK_TYPES = ("image/jpeg", "image/png", "image/webp")


class PackFileIn(BaseModel):
    """A file of the guideline pack (an artwork or a reference photo), named as the rules name it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=FILE_NAME_PATTERN)
    content_type: str


def check_campaign_id(campaign_id: str) -> str:
    if not _ID.match(campaign_id):
        raise InvalidInput(f"campaign id {campaign_id!r} is invalid: use 1-64 letters, digits, '-' or '_'", code="invalid_id")
    return campaign_id


def _key(campaign_id: str) -> tuple[str, str]:
    return f"CAMPAIGN#{campaign_id}", "CAMPAIGN"


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("campaign_id", "name", "start_date", "deadline", "stores", "guideline_version")}


class Campaigns:
    def __init__(self, records: RecordStore, blobs: BlobStore, settings: Settings):
        self._records = records
        self._blobs = blobs
        self._settings = settings

    def put(self, campaign_id: str, body: Any) -> tuple[dict[str, Any], bool]:
        """Create or replace a campaign; return it and whether it was created."""
        check_campaign_id(campaign_id)
        campaign = parse_model(CampaignIn, body)
        try:
            guideline = parse_guideline(campaign.guideline)
        except GuidelineError as err:
            raise InvalidInput("; ".join(f"guideline.{f}: {m}" for f, m in err.problems), code="invalid_guideline") from None
        pk, sk = _key(campaign_id)
        previous = self._records.get(pk, sk)
        now = datetime.now(timezone.utc).isoformat()
        item = {
            "pk": pk,
            "sk": sk,
            "gsi1pk": "CAMPAIGNS",
            "gsi1sk": f"{campaign.start_date.isoformat()}#{campaign_id}",
            "campaign_id": campaign_id,
            "name": campaign.name,
            "start_date": campaign.start_date.isoformat(),
            "deadline": campaign.deadline.isoformat(),
            "stores": campaign.stores,
            "guideline": guideline.to_document(),
            "guideline_version": (previous or {}).get("guideline_version", 0) + 1,
            "pack": (previous or {}).get("pack", {}),
            "created_at": (previous or {}).get("created_at", now),
            "updated_at": now,
        }
        self._records.put(item)
        return self._public(item), previous is None

    def get(self, campaign_id: str) -> dict[str, Any]:
        item = self.load(campaign_id)
        links = {name: self._blobs.presigned_get(entry["key"], self._settings.link_expires_in)
                 for name, entry in item.get("pack", {}).items()}
        return {**self._public(item), "pack_links": links}

    def load(self, campaign_id: str) -> dict[str, Any]:
        """The stored campaign record, or NotFound."""
        check_campaign_id(campaign_id)
        item = self._records.get(*_key(campaign_id))
        if item is None:
            raise NotFound(f"campaign {campaign_id!r} does not exist: check the id, or create it with PUT /campaigns/{campaign_id}", code="campaign_not_found")
        return item

    def add_pack_file(self, campaign_id: str, body: Any) -> dict[str, Any]:
        """An upload link for a pack file; the storage key is the service's, not the file name.

        Uploading a file under a name the pack already has replaces it (a new key, so analyses
        running now keep reading the old file).
        """
        request = parse_model(PackFileIn, body)
        if request.content_type not in PACK_TYPES:
            raise InvalidInput(f"content_type must be one of {', '.join(PACK_TYPES)}", code="unsupported_type")
        key = f"packs/{new_pack_file_id()}"
        for _ in range(3):  # optimistic concurrency: another pack upload may change the map first
            item = self.load(campaign_id)
            pack = {**item.get("pack", {}), request.name: {"key": key, "content_type": request.content_type}}
            try:
                self._records.update(
                    *_key(campaign_id),
                    set={"pack": pack, "updated_at": datetime.now(timezone.utc).isoformat()},
                    condition=eq("updated_at", item["updated_at"]),
                )
                break
            except ConditionFailed:
                continue
        else:
            raise Conflict("the campaign changed while adding the file: try again")
        expires_in = self._settings.upload_expires_in
        post = self._blobs.presigned_post(key, request.content_type, self._settings.max_upload_bytes, expires_in)
        return {"name": request.name, "upload": {"url": post.url, "fields": post.fields}, "expires_in": expires_in}

    def guideline(self, item: dict[str, Any]) -> Guideline:
        return parse_guideline(item["guideline"])

    def list(self, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        if not 1 <= limit <= MAX_LIST:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIST}")
        try:
            page: Page = self._records.query("CAMPAIGNS", index="gsi1", limit=limit, cursor=cursor, descending=True)
        except ValueError as err:
            raise InvalidInput(str(err), code="invalid_cursor") from None
        return {"campaigns": [_summary(i) for i in page.items], "cursor": page.cursor}

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        return {
            **_summary(item),
            "guideline": item["guideline"],
            "pack": sorted(item.get("pack", {})),
            "created_at": item["created_at"],
            "updated_at": item["updated_at"],
        }
