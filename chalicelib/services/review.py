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
from chalicelib.core.errors import ApiError, Conflict, InvalidInput
from chalicelib.core.ids import CLIENT_ID_PATTERN
from chalicelib.core.validation import parse_model
from chalicelib.core.vocabulary import REVIEW_DECISIONS
from chalicelib.services import review_queue
from chalicelib.services.analytics import Analytics, Counters
from chalicelib.services.campaigns import Campaigns
from chalicelib.services.notifications import DecisionNotices
from chalicelib.services.paging import check_limit, query_page
from chalicelib.services.submissions import Submissions
from chalicelib.storage import layout
from chalicelib.storage.layout import submission_key
from chalicelib.storage.ports import BlobStore, ConditionFailed, RecordStore, eq

MAX_PAGE = 100
MAX_BULK = 50  # the tiles of a gallery page


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


class BulkDecisionIn(_In):
    submission_ids: list[str] = Field(min_length=1, max_length=MAX_BULK)
    decision: Literal["approve", "reject", "retake"]
    comment: str = Field(default="", max_length=2000)


class FeatureIn(_In):
    featured: bool = True


class Review:
    def __init__(
        self,
        records: RecordStore,
        blobs: BlobStore,
        campaigns: Campaigns,
        submissions: Submissions,
        notices: DecisionNotices,
        counters: Counters,
        link_expires_in: int,
    ):
        self._notices = notices
        self._counters = counters
        self._records = records
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
        rule_id: str | None = None,
        review: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One tile per store of the campaign: its latest finished photo (reviews included) with the
        earlier attempts behind it, read from the store's target record. Filtered by the server over
        every store of the campaign through the review queue's index (chalicelib.services.review_queue):
        state, reviewed or not, region, failed rule; the store by key. Not reviewed yet first. A
        merchandiser sees its regions only: one region at a time, and is told when it asks for another."""
        campaign = self._campaigns.load(campaign_id)
        check_limit(limit, MAX_PAGE)
        queue = review_queue.partitions(campaign_id, state, review, rule_id)
        region = caller.listing_region(region, "reviews its own regions: add ?region= with one of them")
        review_queue.backfill(self._records, campaign)  # a campaign from before the queue: once
        if store_id:
            target = self._records.get(*layout.target_key(campaign_id, store_id))
            keep = target is not None and review_queue.matches(target, state, review, rule_id, region)
            items, next_cursor = ([target] if target is not None and keep else []), None
        else:
            items, next_cursor = review_queue.walk(self._records, queue, region, limit, MAX_PAGE, cursor)
        return {"windows": [self._window(item) for item in items], "cursor": next_cursor}

    def _window(self, target: dict[str, Any]) -> dict[str, Any]:
        row = self._outcomes.rows([target])[0]
        outcome = target.get("outcome") or {}
        fields = ("store_id", "store_name", "region", "state", "submission_id", "submitted_at", "score", "failed_rules")
        return {
            **{k: row[k] for k in fields},
            "review": outcome.get("review", "pending") if outcome else None,
            "reason_code": outcome.get("reason_code"),
            "thumbnail": self._thumbnail(outcome),
            "attempts": int(target.get("attempts") or (1 if outcome else 0)),
            "earlier": [{**attempt, "thumbnail": self._thumbnail(attempt)} for attempt in target.get("earlier") or []],
        }

    def _thumbnail(self, attempt: dict[str, Any]) -> str | None:
        """An attempt's thumbnail: an analysed photo has one; a refused upload does not (score None)."""
        photo = attempt.get("submission_id")
        if not photo or (attempt.get("state") == "retake" and attempt.get("score") is None):
            return None
        return self._blobs.presigned_get(layout.derived_key(photo, "thumbnail.jpg"), self._link_expires_in)

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
        return self._decide(caller, submission_id, parse_model(DecisionIn, body))

    def decide_many(self, caller: Caller, body: Any) -> dict[str, Any]:
        """The same decision on several photos (the gallery's selected tiles): each one decided on
        its own, with its own answer; one refused does not stop the others."""
        request = parse_model(BulkDecisionIn, body)
        decision = DecisionIn(decision=request.decision, comment=request.comment)
        results: list[dict[str, Any]] = []
        for submission_id in dict.fromkeys(request.submission_ids):  # once each, in the order sent
            try:
                results.append(
                    {"submission_id": submission_id, "ok": True, "review": self._decide(caller, submission_id, decision)}
                )
            except ApiError as err:
                results.append({"submission_id": submission_id, "ok": False, "status": err.status, **err.to_body()})
        return {"results": results, "decided": sum(r["ok"] for r in results)}

    def _decide(self, caller: Caller, submission_id: str, request: DecisionIn) -> dict[str, Any]:
        item = self._submissions.visible(caller, submission_id)
        if item["status"] not in ("done", "rejected", "error"):
            raise Conflict(
                f"submission {submission_id} is {item['status']}: review it once its analysis has finished", code="not_analysed"
            )
        if request.decision == "approve" and item["status"] != "done":
            reason = item.get("reason") or item.get("reason_code") or item["status"]
            raise Conflict(
                f"submission {submission_id} is not an analysed photo of the window ({reason}): there is nothing to "
                "approve; ask the store for a retake or reject it",
                code="not_a_photo",
            )
        previous = (item.get("review") or {}).get("state", "pending")
        review = {
            "state": REVIEW_DECISIONS[request.decision],
            "by": caller.username,
            "at": clock.now_iso(),
            "comment": request.comment,
        }
        decision_id = secrets.token_hex(6)
        changes: dict[str, Any] = {"review": review, "review_id": decision_id}
        # A window sent back can no longer be the network's example: it leaves the showcase.
        leaves_showcase = review["state"] in ("rejected", "retake_requested") and item.get("featured_at")
        if leaves_showcase:
            self._records.delete(*layout.showcase_key(item["featured_at"], submission_id))
            changes["featured_at"] = None
        notice = self._notices.expect(submission_id, decision_id)  # before the decision: a crash after it is swept
        self._counters.record(self._update(item, changes))
        self._audit(
            submission_id,
            caller.username,
            f"review:{request.decision}",
            {"comment": request.comment, "old": previous, "new": review["state"]},
        )
        if leaves_showcase:
            self._audit(submission_id, caller.username, "unfeature", {})
        # The store is told, whatever the decision (a rejection or a retake says what to fix), once
        # the window has passed and only if this is still the latest decision (DecisionNotices).
        self._notices.send(notice)
        return review

    def override(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        request = parse_model(OverrideIn, body)
        item = self._submissions.visible(caller, submission_id)
        rules = self._rules(item, request.rule_id)
        label = {
            "model": rules[request.rule_id]["status"],
            "reviewer": request.status,
            "value": rules[request.rule_id].get("value"),
            "by": caller.username,
            "at": clock.now_iso(),
            "comment": request.comment,
        }
        before = item.get("overrides", {}).get(request.rule_id, {}).get("reviewer") or label["model"]
        overrides = {**item.get("overrides", {}), request.rule_id: label}
        self._counters.record(self._update(item, {"overrides": overrides}))
        self._audit(
            submission_id,
            caller.username,
            "override",
            {
                "rule_id": request.rule_id,
                "model": label["model"],
                "reviewer": request.status,
                "old": before,
                "new": request.status,
                "comment": request.comment,
            },
        )
        return {"rule_id": request.rule_id, **label}

    def withdraw_override(self, caller: Caller, submission_id: str, rule_id: str) -> dict[str, Any]:
        """Take an override back: the rule's status is the model's again (and so are the labels).
        Idempotent, as a retried request on a weak connection needs: no override, nothing to do."""
        item = self._submissions.visible(caller, submission_id)
        rules = self._rules(item, rule_id)
        current = (item.get("overrides") or {}).get(rule_id)
        if current is None:
            return {"rule_id": rule_id, "status": rules[rule_id]["status"], "overrides": item.get("overrides") or {}}
        overrides = {k: v for k, v in item["overrides"].items() if k != rule_id}
        self._counters.record(self._update(item, {"overrides": overrides}))
        model = rules[rule_id]["status"]
        self._audit(
            submission_id,
            caller.username,
            "override:withdraw",
            {"rule_id": rule_id, "model": model, "reviewer": current["reviewer"], "old": current["reviewer"], "new": model},
        )
        return {"rule_id": rule_id, "status": model, "overrides": overrides}

    @staticmethod
    def _rules(item: dict[str, Any], rule_id: str) -> dict[str, dict[str, Any]]:
        rules = {r["id"]: r for r in (item.get("result") or {}).get("rules", [])}
        if rule_id not in rules:
            known = ", ".join(rules) or "none: the photo has no result yet"
            raise InvalidInput(f"rule {rule_id!r} is not in this submission's result; its rules: {known}", code="unknown_rule")
        return rules

    def comment(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        request = parse_model(CommentIn, body)
        self._submissions.visible(caller, submission_id)
        return self._audit(submission_id, caller.username, "comment", {"text": request.text})

    def feature(self, caller: Caller, submission_id: str, body: Any) -> dict[str, Any]:
        """Put a window in (or take it out of) the showcase that every store sees."""
        request = parse_model(FeatureIn, body)
        item = self._submissions.visible(caller, submission_id)
        if item["status"] != "done":
            raise Conflict(f"only an analysed photo can be featured; this one is {item['status']}", code="not_a_photo")
        decided = (item.get("review") or {}).get("state")
        if request.featured and decided in ("rejected", "retake_requested"):
            raise Conflict(
                f"this window was {'rejected' if decided == 'rejected' else 'sent back for a retake'} by "
                f"{item['review'].get('by', 'a reviewer')}: only a window that passes can be shown to every store",
                code="window_rejected",
            )
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
