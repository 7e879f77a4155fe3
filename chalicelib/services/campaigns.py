"""Campaigns: what the stores must set up (the guideline), which stores, and when.

Life: ``draft`` (HQ edits it and uploads the pack) → ``published`` (the targeted stores see it and
submit) → ``closed`` (no more photos). Targets are regions, clusters and/or a list of stores; on
publish they are resolved against the store list into one *target* record per store, holding
that store's start and deadline as instants of its own timezone and, later, its outcome
(chalicelib.services.analytics.counters). Every guideline change is kept as a numbered version, and every result
records the version it was judged by.

Records: the campaign, its guideline versions and its targets (keys: chalicelib.storage.layout).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.core import clock
from chalicelib.core.auth import Caller
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.guideline import FILE_NAME_PATTERN, Guideline, GuidelineError, parse_guideline
from chalicelib.core.ids import CLIENT_ID_PATTERN, new_pack_file_id
from chalicelib.core.settings import Settings
from chalicelib.core.validation import parse_model
from chalicelib.services.paging import query_page
from chalicelib.services.store_directory import ReachIn
from chalicelib.services.stores import Stores
from chalicelib.storage import layout
from chalicelib.storage.layout import campaign_key, target_key
from chalicelib.storage.ports import BlobStore, ConditionFailed, RecordStore, absent, eq

if TYPE_CHECKING:  # the counters read campaigns: imported for the type only
    from chalicelib.services.analytics import Counters

_ID = re.compile(CLIENT_ID_PATTERN)
MAX_LIST = 100
MAX_VERSION_DIGITS = 6  # guideline_key pads to six; a longer number is no version (and int() refuses > 4,300 digits)


class TargetsIn(ReachIn):
    """Which stores a campaign is for: every store in any of the regions or clusters, plus the list."""

    @model_validator(mode="after")
    def _some(self) -> TargetsIn:
        if not (self.regions or self.clusters or self.stores):
            raise ValueError("name at least one region, cluster or store")
        return self


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    start_date: date
    deadline: date
    targets: TargetsIn
    guideline: dict[str, Any]

    @model_validator(mode="after")
    def _dates(self) -> CampaignIn:
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


def load_campaign(records: RecordStore, campaign_id: str) -> dict[str, Any]:
    """The stored campaign record, or NotFound."""
    check_campaign_id(campaign_id)
    item = records.get(*campaign_key(campaign_id))
    if item is None:
        raise NotFound(
            f"campaign {campaign_id!r} does not exist: check the id, or create it with PUT /campaigns/{campaign_id}",
            code="campaign_not_found",
        )
    return item


def _reaches(item: dict[str, Any], regions: frozenset[str]) -> bool:
    """Whether a published campaign has stores in any of ``regions`` (campaigns published before
    their regions were recorded name only their target regions)."""
    reached = item.get("target_regions", item["targets"]["regions"])
    return bool(set(reached) & regions)


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: item[k] for k in ("campaign_id", "name", "start_date", "deadline", "targets", "guideline_version", "status")},
        "target_count": item.get("target_count", 0),
    }


class Campaigns:
    def __init__(self, records: RecordStore, blobs: BlobStore, stores: Stores, settings: Settings, counters: Counters):
        self._records = records
        self._blobs = blobs
        self._stores = stores
        self._settings = settings
        self._counters = counters  # counts the targets on publish

    # --- HQ: create, edit, publish, close ----------------------------------------------------------

    def put(self, campaign_id: str, body: Any) -> tuple[dict[str, Any], bool]:
        """Create or edit a campaign; return it and whether it was created. A changed guideline is
        a new version (the old ones are kept). A published campaign's targets may only grow
        (publish again to reach the added stores); a closed campaign cannot change."""
        check_campaign_id(campaign_id)
        campaign = parse_model(CampaignIn, body)
        try:
            guideline = parse_guideline(campaign.guideline).to_document()
        except GuidelineError as err:
            raise InvalidInput("; ".join(f"guideline.{f}: {m}" for f, m in err.problems), code="invalid_guideline") from None
        previous = self._records.get(*campaign_key(campaign_id))
        targets = campaign.targets.model_dump()
        if previous:
            self._check_edit(previous, campaign, targets)
        now = clock.now_iso()
        version = (previous or {}).get("guideline_version", 0)
        changed = previous is None or previous["guideline"] != guideline
        if changed:
            version += 1
        item = {
            **(previous or {}),
            "pk": campaign_key(campaign_id)[0],
            "sk": campaign_key(campaign_id)[1],
            **layout.campaign_index(campaign_id, campaign.start_date.isoformat()),
            "campaign_id": campaign_id,
            "name": campaign.name,
            "start_date": campaign.start_date.isoformat(),
            "deadline": campaign.deadline.isoformat(),
            "targets": targets,
            "guideline": guideline,
            "guideline_version": version,
            "status": (previous or {}).get("status", "draft"),
            "pack": (previous or {}).get("pack", {}),
            "created_at": (previous or {}).get("created_at", now),
            "updated_at": now,
        }
        try:
            self._records.put(item, condition=eq("updated_at", previous["updated_at"]) if previous else absent("pk"))
        except ConditionFailed:
            raise Conflict("the campaign changed while you were editing it: read it again and resend") from None
        if changed:
            pk, sk = layout.guideline_key(campaign_id, version)
            self._records.put({"pk": pk, "sk": sk, "version": version, "guideline": guideline, "created_at": now})
        return self._public(item), previous is None

    def _check_edit(self, previous: dict[str, Any], campaign: CampaignIn, targets: dict[str, list[str]]) -> None:
        if previous["status"] == "closed":
            raise Conflict(
                f"campaign {previous['campaign_id']!r} is closed: create a new campaign instead", code="campaign_closed"
            )
        if previous["status"] == "published":
            dropped = {k: sorted(set(previous["targets"][k]) - set(targets[k])) for k in targets}
            if any(dropped.values()):
                raise Conflict(
                    f"a published campaign's targets can only grow; these would be dropped: {dropped}", code="targets_shrink"
                )
            if campaign.start_date.isoformat() != previous["start_date"] or campaign.deadline.isoformat() != previous["deadline"]:
                raise Conflict("the dates of a published campaign are fixed (stores plan by them)", code="dates_fixed")

    def add_pack_file(self, campaign_id: str, body: Any) -> dict[str, Any]:
        """An upload link for a pack file; the storage key is the service's, not the file name.

        Uploading a file under a name the pack already has replaces it (a new key, so analyses
        running now keep reading the old file).
        """
        request = parse_model(PackFileIn, body)
        if request.content_type not in PACK_TYPES:
            raise InvalidInput(f"content_type must be one of {', '.join(PACK_TYPES)}", code="unsupported_type")
        key = layout.pack_key(new_pack_file_id())
        for _ in range(3):  # optimistic concurrency: another pack upload may change the map first
            item = self.load(campaign_id)
            if item["status"] == "closed":
                raise Conflict(f"campaign {campaign_id!r} is closed", code="campaign_closed")
            pack = {**item.get("pack", {}), request.name: {"key": key, "content_type": request.content_type}}
            try:
                self._records.update(
                    *campaign_key(campaign_id),
                    set={"pack": pack, "updated_at": clock.now_iso()},
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

    def publish(self, campaign_id: str) -> dict[str, Any]:
        """Check the pack, resolve the targets into stores, and open the campaign to them.

        Publishing again after adding targets reaches the new stores; it is safe to repeat.
        """
        item = self.load(campaign_id)
        if item["status"] == "closed":
            raise Conflict(f"campaign {campaign_id!r} is closed", code="campaign_closed")
        guideline = self.guideline(item)
        missing = [
            name
            for name in guideline.pack_files()
            if name not in item.get("pack", {}) or not self._blobs.exists(item["pack"][name]["key"])
        ]
        if missing:
            raise InvalidInput(
                f"the guideline pack lacks {', '.join(missing)}: upload each with POST /campaigns/{campaign_id}/pack, "
                "then publish again",
                code="pack_incomplete",
                status=422,
            )
        targets = item["targets"]
        stores, unknown = self._stores.matching(targets["regions"], targets["clusters"], targets["stores"])
        if unknown:
            raise InvalidInput(
                f"these stores are not in the store list: {', '.join(unknown[:20])}; import them with PUT /stores first",
                code="unknown_stores",
                status=422,
            )
        if not stores:
            raise InvalidInput(
                "the targets match no store: check the regions and clusters against GET /stores", code="no_stores", status=422
            )
        existing = self._target_ids(campaign_id)
        new = [self._target(item, store) for store in stores if store["store_id"] not in existing]
        self._counters.add_targets(item, new)
        total = len(existing) + len(new)
        now = clock.now_iso()
        # The regions its stores are in: whom a merchandiser's scope shows the campaign to.
        regions = sorted(set(item.get("target_regions", [])) | {store["region"] for store in stores})
        self._records.update(
            *campaign_key(campaign_id),
            set={
                "status": "published",
                "target_count": total,
                "updated_at": now,
                "published_at": item.get("published_at", now),
                "target_regions": regions,
            },
        )
        return {
            "campaign_id": campaign_id,
            "status": "published",
            "target_count": total,
            "new_targets": len(new),
            "guideline_version": item["guideline_version"],
        }

    def close(self, campaign_id: str) -> dict[str, Any]:
        item = self.load(campaign_id)
        if item["status"] == "draft":
            raise Conflict(f"campaign {campaign_id!r} was never published: edit or publish it instead", code="campaign_draft")
        if item["status"] != "closed":
            self._records.update(
                *campaign_key(campaign_id), set={"status": "closed", "closed_at": clock.now_iso(), "updated_at": clock.now_iso()}
            )
        return {"campaign_id": campaign_id, "status": "closed"}

    def _target(self, campaign: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
        campaign_id, store_id, region = campaign["campaign_id"], store["store_id"], store["region"]
        pk, sk = target_key(campaign_id, store_id)
        return {
            "pk": pk,
            "sk": sk,
            **layout.target_state_index(campaign_id, "missing", region, store_id),
            **layout.store_campaigns_index(store_id, campaign["start_date"], campaign_id),
            "campaign_id": campaign_id,
            "store_id": store_id,
            "store_name": store["name"],
            "region": region,
            "cluster": store.get("cluster", ""),
            "timezone": store["timezone"],
            "start_date": campaign["start_date"],
            "week": clock.iso_week(campaign["start_date"]),
            "starts_at": clock.local_instant(date.fromisoformat(campaign["start_date"]), store["timezone"], end_of_day=False),
            "deadline_at": clock.local_instant(date.fromisoformat(campaign["deadline"]), store["timezone"], end_of_day=True),
            "state": "missing",
            "version": 0,
        }

    def _target_ids(self, campaign_id: str) -> set[str]:
        ids: set[str] = set()
        cursor = None
        while True:
            page = self._records.query(campaign_key(campaign_id)[0], sk_prefix=layout.TARGET_PREFIX, limit=1000, cursor=cursor)
            ids.update(i["store_id"] for i in page.items)
            if not (cursor := page.cursor):
                return ids

    # --- reading ------------------------------------------------------------------------------------

    def load(self, campaign_id: str) -> dict[str, Any]:
        return load_campaign(self._records, campaign_id)

    def target(self, campaign_id: str, store_id: str) -> dict[str, Any] | None:
        return self._records.get(*target_key(campaign_id, store_id))

    def visible(self, caller: Caller, campaign_id: str) -> dict[str, Any]:
        """The campaign, if the caller may see it: a store sees the published campaigns it is in, a
        merchandiser those that reach its regions. Outside its scope a campaign answers exactly as
        one that does not exist, so no one learns which ids (or drafts) there are."""
        if caller.role == "hq":
            return self.load(campaign_id)
        check_campaign_id(campaign_id)
        item = self._records.get(*campaign_key(campaign_id))
        if item is None or not self._in_scope(caller, item):
            raise NotFound(
                f"campaign {campaign_id!r} does not exist, or is not one of yours: check the id", code="campaign_not_found"
            )
        return item

    def _in_scope(self, caller: Caller, item: dict[str, Any]) -> bool:
        if item["status"] == "draft":
            return False
        if caller.role == "store":
            return any(self.target(item["campaign_id"], s) for s in caller.stores)
        return _reaches(item, caller.regions)

    def get(self, caller: Caller, campaign_id: str) -> dict[str, Any]:
        item = self.visible(caller, campaign_id)
        links = {
            name: self._blobs.presigned_get(entry["key"], self._settings.link_expires_in)
            for name, entry in item.get("pack", {}).items()
        }
        out = {**self._public(item), "pack_links": links}
        if caller.role == "store":  # the store's own start and deadline, in its timezone
            out["schedule"] = {s: _schedule(t) for s in sorted(caller.stores) if (t := self.target(campaign_id, s))}
            out.pop("targets")
        return out

    def guideline(self, item: dict[str, Any]) -> Guideline:
        return parse_guideline(item["guideline"])

    def versions(self, caller: Caller, campaign_id: str, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        self.visible(caller, campaign_id)
        page = query_page(
            self._records,
            campaign_key(campaign_id)[0],
            sk_prefix=layout.GUIDELINE_PREFIX,
            limit=limit,
            maximum=MAX_LIST,
            cursor=cursor,
            descending=True,
        )
        return {
            "versions": [
                {"version": v["version"], "created_at": v["created_at"], "rules": len(v["guideline"]["rules"])}
                for v in page.items
            ],
            "cursor": page.cursor,
        }

    def version(self, caller: Caller, campaign_id: str, version: str) -> dict[str, Any]:
        self.visible(caller, campaign_id)
        if not (version.isascii() and version.isdigit() and len(version) <= MAX_VERSION_DIGITS):
            raise InvalidInput(f"guideline version must be a whole number below 10^{MAX_VERSION_DIGITS}, not {version[:20]!r}")
        item = self._records.get(*layout.guideline_key(campaign_id, int(version)))
        if item is None:
            raise NotFound(f"campaign {campaign_id!r} has no guideline version {version}", code="version_not_found")
        return {"version": item["version"], "created_at": item["created_at"], "guideline": item["guideline"]}

    def list(self, caller: Caller, store_id: str | None = None, limit: int = 50, cursor: str | None = None) -> dict[str, Any]:
        """Newest first; a store lists the published campaigns it is in (through its targets),
        one store at a time (``store_id`` names it when the user acts for several)."""
        if caller.role != "store":
            page = query_page(
                self._records, layout.CAMPAIGNS, index="gsi1", limit=limit, maximum=MAX_LIST, cursor=cursor, descending=True
            )
            # A merchandiser's page holds the campaigns of its scope only (a page may come out short).
            shown = [i for i in page.items if caller.role == "hq" or (i["status"] != "draft" and _reaches(i, caller.regions))]
            return {"campaigns": [_summary(i) for i in shown], "cursor": page.cursor}
        if store_id is None:
            if len(caller.stores) != 1:
                raise InvalidInput("you act for several stores: name one with ?store_id=", code="store_required")
            store_id = next(iter(caller.stores))
        caller.require_store(store_id, None)
        page = query_page(
            self._records,
            layout.store_campaigns_partition(store_id),
            index="gsi2",
            limit=limit,
            maximum=MAX_LIST,
            cursor=cursor,
            descending=True,
        )
        campaigns = []
        for target in page.items:
            item = self._records.get(*campaign_key(target["campaign_id"]))
            if item and item["status"] != "draft":
                summary = _summary(item)
                summary.pop("targets")
                campaigns.append({**summary, "deadline_at": target["deadline_at"], "state": target["state"]})
        return {"campaigns": campaigns, "cursor": page.cursor}

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        return {
            **_summary(item),
            "guideline": item["guideline"],
            "pack": sorted(item.get("pack", {})),
            "created_at": item["created_at"],
            "updated_at": item["updated_at"],
        }


def _schedule(target: dict[str, Any]) -> dict[str, Any]:
    """A store's own start, deadline and state, and its latest finished photo (the store page's
    lasting card: read from the target record, no listing)."""
    out = {k: target[k] for k in ("starts_at", "deadline_at", "timezone", "state")}
    latest = (target.get("outcome") or {}).get("submission_id")
    if latest:
        out["latest_submission_id"] = latest
    return out
