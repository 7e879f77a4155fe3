"""Merchandisers' review: the gallery listing, decisions, rule overrides and comments.

Every decision is kept with who and when: the submission record carries the current state, and
an audit item per action (under the submission's key: chalicelib.storage.layout) keeps the history.
A rule override is a label for calibration and retraining: what the model said, what the
reviewer said.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core import clock
from chalicelib.core.auth import Caller
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.core.ids import CLIENT_ID_PATTERN
from chalicelib.core.validation import parse_model
from chalicelib.core.vocabulary import NEEDS_A_PERSON_FIRST, OUTCOME_STATES, REVIEW_DECISIONS
from chalicelib.services.analytics import Analytics, Counters
from chalicelib.services.campaigns import Campaigns
from chalicelib.services.paging import check_limit, query_page
from chalicelib.services.submissions import Submissions
from chalicelib.storage import layout
from chalicelib.storage.layout import submission_key
from chalicelib.storage.ports import BlobStore, ConditionFailed, EventPublisher, RecordStore, eq

MAX_PAGE = 100


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionIn(_In):
    decision: Literal["approve", "reject", "retake"]
    comment: str = Field(default="", max_length=2000)


class OverrideIn(_In):
    rule_id: str = Field(pattern=CLIENT_ID_PATTERN)
    status: Literal["pass", "fail"]
    comment: str = Field(default="", max_length=2000)


class CommentIn(_In):
    text: str = Field(min_length=1, max_length=2000)


class FeatureIn(_In):
    featured: bool = True


class Review:
    def __init__(
        self,
        records: RecordStore,
        blobs: BlobStore,
        campaigns: Campaigns,
        submissions: Submissions,
        events: EventPublisher,
        counters: Counters,
        link_expires_in: int,
    ):
        self._counters = counters
        self._records = records
        self._events = events
        self._blobs = blobs
        self._campaigns = campaigns
        self._submissions = submissions
        self._link_expires_in = link_expires_in
        self._outcomes = Analytics(records)

    # --- the gallery ---------------------------------------------------------------------------

    def gallery(
        self, caller: Caller, campaign_id: str, region: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        """A campaign's submissions (or a region's), newest first, a page at a time, with
        thumbnail links. A merchandiser sees its regions only: one region at a time."""
        self._campaigns.load(campaign_id)
        check_limit(limit, MAX_PAGE)
        region = caller.listing_region(region, "reviews its own regions: add ?region= with one of them")
        if region:
            page = query_page(
                self._records,
                layout.region_submissions_partition(campaign_id, region),
                index="gsi2",
                limit=limit,
                maximum=MAX_PAGE,
                cursor=cursor,
                descending=True,
            )
        else:
            page = query_page(
                self._records,
                layout.campaign_submissions_partition(campaign_id),
                index="gsi1",
                sk_prefix=layout.SUBMISSION_PREFIX,
                limit=limit,
                maximum=MAX_PAGE,
                cursor=cursor,
                descending=True,
            )
        return {"submissions": [self._card(item) for item in page.items], "cursor": page.cursor}

    def windows(
        self,
        caller: Caller,
        campaign_id: str,
        state: str | None = None,
        region: str | None = None,
        store_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One tile per store of the campaign: its latest finished photo (reviews included), read
        from the store's target record. Filtered by the server over every page, through the index
        of targets by state (then region) or the target's own key; what a person must look at
        first. A merchandiser sees its regions only: one region at a time."""
        self._campaigns.load(campaign_id)
        check_limit(limit, MAX_PAGE)
        if state is not None and state not in OUTCOME_STATES:
            raise InvalidInput(f"state must be one of {', '.join(OUTCOME_STATES)}")
        region = caller.listing_region(region, "reviews its own regions: add ?region= with one of them")
        if store_id:
            target = self._records.get(*layout.target_key(campaign_id, store_id))
            keep = target is not None and (not region or target["region"] == region) and (not state or target["state"] == state)
            rows = self._outcomes.rows([target]) if target is not None and keep else []
            page: dict[str, Any] = {"stores": rows, "cursor": None}
        else:
            page = self._outcomes.targets(campaign_id, (state,) if state else NEEDS_A_PERSON_FIRST, region, limit, cursor)
        return {"windows": [self._window(row) for row in page["stores"]], "cursor": page["cursor"]}

    def _window(self, row: dict[str, Any]) -> dict[str, Any]:
        # A finished photo has its thumbnail unless it was refused (then the store must retake it).
        photo = row["submission_id"] if row["state"] != "retake" or row["score"] is not None else None
        thumbnail = (
            self._blobs.presigned_get(layout.derived_key(photo, "thumbnail.jpg"), self._link_expires_in) if photo else None
        )
        fields = ("store_id", "store_name", "region", "state", "submission_id", "submitted_at", "score", "failed_rules")
        return {**{k: row[k] for k in fields}, "thumbnail": thumbnail}

    def _card(self, item: dict[str, Any]) -> dict[str, Any]:
        result = item.get("result") or {}
        derived = item.get("derived") or {}
        return {
            "submission_id": item["submission_id"],
            "store_id": item["store_id"],
            "region": item.get("region"),
            "status": item["status"],
            "verdict": result.get("verdict"),
            "score": result.get("score"),
            "failed_rules": [r["id"] for r in result.get("rules", []) if r["status"] == "fail"],
            "review_status": item.get("review", {}).get("state", "pending"),
            "created_at": item["created_at"],
            "thumbnail": self._blobs.presigned_get(derived["thumbnail"], self._link_expires_in)
            if "thumbnail" in derived
            else None,
        }

    # --- decisions, overrides, comments ----------------------------------------------------------

    def decide(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        request = parse_model(DecisionIn, body)
        item = self._submissions.visible(caller, submission_id)
        if item["status"] not in ("done", "rejected", "error"):
            raise Conflict(f"submission {submission_id} is {item['status']}: review it once its analysis has finished")
        review = {
            "state": REVIEW_DECISIONS[request.decision],
            "by": caller.username,
            "at": clock.now_iso(),
            "comment": request.comment,
        }
        self._counters.record(self._update(item, {"review": review}))
        self._audit(submission_id, caller.username, f"review:{request.decision}", {"comment": request.comment})
        # The store is told, whatever the decision: a rejection or a retake says what to fix.
        self._events.publish(
            "review.decided",
            {
                "submission_id": submission_id,
                "campaign_id": item["campaign_id"],
                "store_id": item["store_id"],
                "decision": request.decision,
                "comment": request.comment,
            },
        )
        return review

    def override(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        request = parse_model(OverrideIn, body)
        item = self._submissions.visible(caller, submission_id)
        rules = {r["id"]: r for r in (item.get("result") or {}).get("rules", [])}
        if request.rule_id not in rules:
            known = ", ".join(rules) or "none: the photo has no result yet"
            raise InvalidInput(
                f"rule {request.rule_id!r} is not in this submission's result; its rules: {known}", code="unknown_rule"
            )
        label = {
            "model": rules[request.rule_id]["status"],
            "reviewer": request.status,
            "value": rules[request.rule_id].get("value"),
            "by": caller.username,
            "at": clock.now_iso(),
            "comment": request.comment,
        }
        overrides = {**item.get("overrides", {}), request.rule_id: label}
        self._counters.record(self._update(item, {"overrides": overrides}))
        self._audit(
            submission_id,
            caller.username,
            "override",
            {"rule_id": request.rule_id, "model": label["model"], "reviewer": request.status},
        )
        return {"rule_id": request.rule_id, **label}

    def comment(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        request = parse_model(CommentIn, body)
        self._submissions.visible(caller, submission_id)
        return self._audit(submission_id, caller.username, "comment", {"text": request.text})

    def feature(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        """Put a window in (or take it out of) the showcase that every store sees."""
        request = parse_model(FeatureIn, body)
        item = self._submissions.visible(caller, submission_id)
        if item["status"] != "done":
            raise Conflict(f"only an analysed photo can be featured; this one is {item['status']}")
        previous = item.get("featured_at")
        if previous:
            self._records.delete(*layout.showcase_key(previous, submission_id))
        featured_at = clock.now_iso() if request.featured else None
        if featured_at:
            pk, sk = layout.showcase_key(featured_at, submission_id)
            self._records.put(
                {
                    "pk": pk,
                    "sk": sk,
                    "submission_id": submission_id,
                    "campaign_id": item["campaign_id"],
                    "store_id": item["store_id"],
                    "by": caller.username,
                    "featured_at": featured_at,
                    "normalised_key": (item.get("derived") or {}).get("normalised"),
                }
            )
        self._update(item, {"featured_at": featured_at})
        self._audit(submission_id, caller.username, "feature" if request.featured else "unfeature", {})
        return {"submission_id": submission_id, "featured": request.featured}

    def showcase(self, limit: int = 24, cursor: str | None = None) -> dict[str, Any]:
        """The featured windows of the whole network, most recently featured first."""
        page = query_page(self._records, layout.SHOWCASE, limit=limit, maximum=MAX_PAGE, cursor=cursor, descending=True)
        windows = [
            {
                **{k: e[k] for k in ("submission_id", "campaign_id", "store_id", "featured_at")},
                "image": self._blobs.presigned_get(e["normalised_key"], self._link_expires_in)
                if e.get("normalised_key")
                else None,
            }
            for e in page.items
        ]
        return {"windows": windows, "cursor": page.cursor}

    def history(self, caller: Caller, submission_id: str) -> dict[str, Any]:
        """The audit trail of a submission, oldest first (comments included)."""
        self._submissions.visible(caller, submission_id)
        page = self._records.query(submission_key(submission_id)[0], sk_prefix=layout.AUDIT_PREFIX, limit=MAX_PAGE)
        return {"events": [{k: v for k, v in e.items() if k not in ("pk", "sk")} for e in page.items], "cursor": page.cursor}

    # --- internals ---------------------------------------------------------------------------------

    def _update(self, item: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Write review state only over the version we read (two reviewers at once: one retries)."""
        try:
            return self._records.update(
                *submission_key(item["submission_id"]),
                set={**changes, "updated_at": clock.now_iso()},
                condition=eq("updated_at", item["updated_at"]),
            )
        except ConditionFailed:
            raise Conflict("the submission changed while you were reviewing it: reload it and try again") from None

    def _audit(self, submission_id: str, by: str, action: str, details: dict[str, Any]) -> dict[str, Any]:
        at = clock.now_iso()
        event = {"action": action, "by": by, "at": at, **details}
        self._records.put({"pk": submission_key(submission_id)[0], "sk": layout.audit_sk(at, secrets.token_hex(3)), **event})
        return event
