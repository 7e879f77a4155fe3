"""Campaigns: what a store must set up (the guideline), for which stores, and when."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.guideline import Guideline, GuidelineError, parse_guideline
from chalicelib.ids import CLIENT_ID_PATTERN
from chalicelib.storage.ports import Page, RecordStore
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


def check_campaign_id(campaign_id: str) -> str:
    if not _ID.match(campaign_id):
        raise InvalidInput(f"campaign id {campaign_id!r} is invalid: use 1-64 letters, digits, '-' or '_'", code="invalid_id")
    return campaign_id


def _key(campaign_id: str) -> tuple[str, str]:
    return f"CAMPAIGN#{campaign_id}", "CAMPAIGN"


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("campaign_id", "name", "start_date", "deadline", "stores", "guideline_version")}


class Campaigns:
    def __init__(self, records: RecordStore):
        self._records = records

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
            "created_at": (previous or {}).get("created_at", now),
            "updated_at": now,
        }
        self._records.put(item)
        return self._public(item), previous is None

    def get(self, campaign_id: str) -> dict[str, Any]:
        return self._public(self.load(campaign_id))

    def load(self, campaign_id: str) -> dict[str, Any]:
        """The stored campaign record, or NotFound."""
        check_campaign_id(campaign_id)
        item = self._records.get(*_key(campaign_id))
        if item is None:
            raise NotFound(f"campaign {campaign_id!r} does not exist: check the id, or create it with PUT /campaigns/{campaign_id}", code="campaign_not_found")
        return item

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
        return {**_summary(item), "guideline": item["guideline"], "created_at": item["created_at"], "updated_at": item["updated_at"]}
