"""HQ's counters, kept up to date as results and reviews are written: no request reads more than
a campaign's or a week's own counters.

Each targeted store has one *target* record per campaign (chalicelib.services.campaigns) holding
its outcome (chalicelib.services.analytics.outcomes). When an outcome changes, the difference of
its counters is added to four aggregate records (chalicelib.storage.layout.aggregate_keys: the
campaign, its region, the week network-wide and the week in the region) in the same transaction
as the new outcome, which is written only over the version that was read. So a retried message,
or a result that is written twice, adds nothing the second time, and a crash between the result
and its counters is mended by the retry (``record`` is idempotent).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from typing import Any

from chalicelib.core import clock
from chalicelib.core.errors import Conflict
from chalicelib.services import review_queue
from chalicelib.services.analytics.outcomes import LABEL_COUNTERS, counters, difference, outcome_of
from chalicelib.storage import layout
from chalicelib.storage.layout import target_key
from chalicelib.storage.ports import ConditionFailed, PutOp, RecordStore, UpdateOp, absent, eq

RECORD_TRIES = 8
TARGETS_PER_TRANSACTION = 96  # + the 4 aggregate records = DynamoDB's 100


class Counters:
    """Writes targets, outcomes and the aggregates they add to."""

    def __init__(self, records: RecordStore):
        self._records = records

    def add_targets(self, campaign: dict[str, Any], targets: list[dict[str, Any]]) -> None:
        """Write new target records and count them, a region's chunk per transaction (so a
        publish that stops half-way is finished by publishing again)."""
        by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for target in targets:
            by_region[target["region"]].append(target)
        week = clock.iso_week(campaign["start_date"])
        for region, members in sorted(by_region.items()):
            for start in range(0, len(members), TARGETS_PER_TRANSACTION):
                chunk = members[start : start + TARGETS_PER_TRANSACTION]
                delta: dict[str, float] = {"targeted": len(chunk), "state:missing": len(chunk)}
                ops: list[PutOp | UpdateOp] = [PutOp(t, condition=absent("pk")) for t in chunk]
                ops += self._aggregate_ops(campaign["campaign_id"], region, week, delta, {})
                try:
                    self._records.transact(ops)
                except ConditionFailed:
                    raise Conflict(
                        "the campaign is being published by another request: wait a moment and publish again"
                    ) from None

    def record(self, submission: dict[str, Any]) -> None:
        """Bring the store's outcome (and the aggregates) up to date with this submission."""
        for attempt in range(RECORD_TRIES):
            if attempt:  # another writer of the same counters (the upload peak): back off, with jitter
                time.sleep(random.uniform(0, 0.05 * 2 ** min(attempt, 5)))
            target = self._records.get(*target_key(submission["campaign_id"], submission["store_id"]))
            if target is None:
                return  # not a targeted store (a campaign made before targets existed)
            outcome = outcome_of(submission, target)
            current = target.get("outcome")
            if outcome is None or outcome == current:
                return
            if current and current["submission_id"] != outcome["submission_id"] and current["created_at"] > outcome["created_at"]:
                return  # a newer photo of this store already counts
            delta = difference(counters(current), counters(outcome))
            reviewed = review_queue.is_reviewed(outcome)
            new_target = {
                **target,
                **layout.target_state_index(
                    target["campaign_id"], outcome["state"], target["region"], target["store_id"], reviewed=reviewed
                ),
                **review_queue.earlier_attempts(target, outcome),
                "outcome": outcome,
                "state": outcome["state"],
                "version": target["version"] + 1,
            }
            ops: list[PutOp | UpdateOp] = [PutOp(new_target, condition=eq("version", target["version"]))]
            ops += review_queue.marker_ops(target, new_target)  # the gallery's failed-rule filter, kept with the target
            ops += self._aggregate_ops(target["campaign_id"], target["region"], target["week"], delta, outcome["thresholds"])
            try:
                self._records.transact(ops)
                return
            except ConditionFailed:
                continue  # another writer changed this store's outcome first: read it again
        # Raised, not swallowed: the message comes back, and the processor's duplicate path records again.
        raise Conflict(f"could not record the outcome of {submission['submission_id']} after {RECORD_TRIES} tries")

    def _aggregate_ops(
        self, campaign_id: str, region: str, week: str, delta: dict[str, float], thresholds: dict[str, Any]
    ) -> list[UpdateOp]:
        if not delta:
            return []
        ops = []
        for pk, sk in layout.aggregate_keys(campaign_id, region, week):
            overall = sk == layout.ALL or pk == layout.WEEKS_ALL
            # Reviewers' labels are read network- or campaign-wide only: region items stay small.
            add = delta if overall else {k: v for k, v in delta.items() if not k.startswith(LABEL_COUNTERS)}
            if not add:
                continue
            labels = {"scope": layout.aggregate_scope(pk, sk), "key": sk}
            known = {f"threshold:{rule_id}": t for rule_id, t in thresholds.items()} if overall else {}
            ops.append(UpdateOp(pk, sk, add=add, set={**labels, **known}, upsert=True))
        return ops
