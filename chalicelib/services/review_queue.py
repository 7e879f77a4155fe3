"""The gallery's review queue: one tile per store of a campaign, read with key queries only.

A store's target record (chalicelib.services.campaigns) is its tile: it sits in the index
partition of its state and of whether a person has decided on its latest photo
(chalicelib.storage.layout.review_queue_partition), so "not reviewed yet first" is the order of
the partitions and every filter (state, reviewed or not, region, store, failed rule) is a key
query over all the campaign's stores, never a scan or a filter of a loaded page. For the failed
rule filter the tile is copied into one marker per rule it fails, in the rule's own partitions;
the markers are written in the transaction that writes the target (the counters', when a result,
a re-analysis or a review changes the outcome), so they never disagree with it.

Write cost: a target write puts its gsi3 entry (one more index write) and a marker per rule the
latest photo fails now or failed before (a guideline has a handful of rules; usually 0–3 fail).
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import CLIENT_ID_PATTERN
from chalicelib.core.vocabulary import OUTCOME_STATES
from chalicelib.services.paging import bad_cursor, check_limit
from chalicelib.storage import layout
from chalicelib.storage.ports import MAX_TRANSACTION, ConditionFailed, PutOp, RecordStore, eq

QUEUE_VERSION = 1  # on the campaign record once its targets are all in the queue
EARLIER_KEPT = 20
# The markers ride in the counters' transaction with the target and its 4 aggregates: a guideline
# with more rules failing at once than fit keeps the first ones' markers (no guideline comes near).
MAX_MARKERS = MAX_TRANSACTION - 1 - 4  # the earlier attempts a tile lists (the count goes on)
REVIEW_FILTERS = ("open", "reviewed")

# Not reviewed first, and among those what the model left to a person, then failures, retakes and
# passes; then the reviewed ones; the stores without a photo last (nothing to look at).
QUEUE_ORDER: tuple[tuple[bool, str], ...] = (
    *((False, state) for state in ("review", "fail", "retake", "pass")),
    *((True, state) for state in ("fail", "retake", "pass", "review")),
    (False, "missing"),
)


def is_reviewed(outcome: dict[str, Any] | None) -> bool:
    """A person decided on the store's latest photo (overrides alone leave it in the queue)."""
    return bool(outcome) and (outcome or {}).get("review", "pending") != "pending"


def failed_rules(outcome: dict[str, Any] | None) -> set[str]:
    return {rule for rule, status in ((outcome or {}).get("rules") or {}).items() if status == "fail"}


def earlier_attempts(target: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    """The tile's stack: when a newer photo replaces the store's latest, the latest goes on top of
    the earlier ones (newest first), and the count of attempts goes up."""
    current = target.get("outcome")
    earlier = list(target.get("earlier") or [])
    attempts = int(target.get("attempts") or (1 if current else 0))
    if current and current["submission_id"] != outcome["submission_id"]:
        summary = {k: current.get(k) for k in ("submission_id", "created_at", "state", "score")}
        earlier = [summary, *earlier][:EARLIER_KEPT]
        attempts += 1
    elif not current:
        attempts = 1
    return {"earlier": earlier, "attempts": attempts}


def marker_ops(old_target: dict[str, Any], new_target: dict[str, Any]) -> list[PutOp]:
    """The failed-rule markers of a target being rewritten: a copy of the tile per rule it fails,
    in that rule's queue partition; a rule that failed before and passes now keeps a marker
    without index keys (out of the index: a transaction puts, it does not delete)."""
    now_failing = failed_rules(new_target.get("outcome"))
    campaign_id, store_id = new_target["campaign_id"], new_target["store_id"]
    reviewed = is_reviewed(new_target.get("outcome"))
    tile = layout.without_keys(new_target)
    ops = []
    for rule_id in sorted(failed_rules(old_target.get("outcome")) | now_failing)[:MAX_MARKERS]:
        pk, sk = layout.failed_rule_key(campaign_id, rule_id, store_id)
        marker = {"pk": pk, "sk": sk, **tile, "marker_rule": rule_id}
        if rule_id in now_failing:
            marker.update(
                layout.review_queue_index(campaign_id, reviewed, new_target["state"], new_target["region"], store_id, rule_id)
            )
        ops.append(PutOp(marker))
    return ops


def partitions(campaign_id: str, state: str | None, review: str | None, rule_id: str | None) -> list[str]:
    """The index partitions a filtered listing walks, in the queue's order."""
    if state is not None and state not in OUTCOME_STATES:
        raise InvalidInput(f"state must be one of {', '.join(OUTCOME_STATES)}")
    if rule_id is not None and not re.fullmatch(CLIENT_ID_PATTERN, rule_id):
        raise InvalidInput(f"rule_id {rule_id!r} is not a rule id: the ids of the campaign's guideline, like photo-sharp")
    if review is not None and review not in REVIEW_FILTERS:
        raise InvalidInput(f"review must be one of {', '.join(REVIEW_FILTERS)}: open (nobody decided yet) or reviewed")
    return [
        layout.review_queue_partition(campaign_id, reviewed, s, rule_id)
        for reviewed, s in QUEUE_ORDER
        if (state is None or s == state)
        and (review is None or reviewed == (review == "reviewed"))
        and not (rule_id and s == "missing")  # a store without a photo fails no rule
        and not (review and s == "missing")  # nor is it waiting for a person
    ]


def matches(target: dict[str, Any], state: str | None, review: str | None, rule_id: str | None, region: str | None) -> bool:
    """One target against the filters (the ?store_id= listing reads it by key)."""
    outcome = target.get("outcome")
    return (
        (not region or target["region"] == region)
        and (not state or target["state"] == state)
        and (not review or (outcome is not None and is_reviewed(outcome) == (review == "reviewed")))
        and (not rule_id or rule_id in failed_rules(outcome))
    )


def walk(
    records: RecordStore, queue: list[str], region: str | None, limit: int, maximum: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page over the partitions one after the other (cursor "<partition's position>.<its cursor>")."""
    check_limit(limit, maximum)
    position, inner = 0, None
    if cursor:
        head, _, inner = cursor.partition(".")
        if not (head.isascii() and head.isdigit() and len(head) <= 2) or int(head) >= max(len(queue), 1):
            raise bad_cursor()
        position, inner = int(head), inner or None
    items: list[dict[str, Any]] = []
    while position < len(queue) and len(items) < limit:
        try:
            page = records.query(
                queue[position], index="gsi3", sk_prefix=f"{region}#" if region else "", limit=limit - len(items), cursor=inner
            )
        except ValueError as err:
            raise bad_cursor(str(err)) from None
        items += page.items
        if page.cursor:
            inner = page.cursor
            break
        position, inner = position + 1, None
    return items, (f"{position}.{inner or ''}" if position < len(queue) else None)


def backfill(records: RecordStore, campaign: dict[str, Any]) -> int:
    """Put a campaign's targets written before the review queue existed into it (with their
    failed-rule markers and the review state of their latest photo), once per campaign: the first
    gallery read of an older campaign reads its targets once; later reads see the campaign's mark.
    A target the counters rewrite meanwhile already carries its index keys (the write is
    conditional on the version read). Returns how many targets it indexed."""
    if campaign.get("review_queue") == QUEUE_VERSION:
        return 0
    campaign_id = campaign["campaign_id"]
    indexed, cursor = 0, None
    while True:
        page = records.query(layout.campaign_key(campaign_id)[0], sk_prefix=layout.TARGET_PREFIX, limit=500, cursor=cursor)
        for target in page.items:
            if "gsi3pk" in target:
                continue
            outcome = target.get("outcome")
            if outcome is not None and "review" not in outcome:
                photo = records.get(*layout.submission_key(outcome["submission_id"])) or {}
                review = (photo.get("review") or {}).get("state", "pending")
                reason = photo.get("reason_code") if photo.get("status") != "done" else None
                outcome = {**outcome, "review": review, "reason_code": reason}
            queued = {
                **target,
                **({"outcome": outcome} if outcome is not None else {}),
                **layout.review_queue_index(
                    campaign_id, is_reviewed(outcome), target["state"], target["region"], target["store_id"]
                ),
            }
            try:
                records.transact([PutOp(queued, condition=eq("version", target.get("version"))), *marker_ops({}, queued)])
                indexed += 1
            except ConditionFailed:
                continue
        if not (cursor := page.cursor):
            break
    records.update(*layout.campaign_key(campaign_id), set={"review_queue": QUEUE_VERSION})
    return indexed
