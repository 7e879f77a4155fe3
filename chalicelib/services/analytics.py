"""HQ's numbers, kept up to date as results and reviews are written: no request reads more than
a campaign's or a week's own counters.

Each targeted store has one *target* record per campaign (chalicelib.services.campaigns) holding its
*outcome*: what its latest finished photo says once reviewers have had their say (state, score,
on time or not, each rule's final status, and the reviewers' labels). When an outcome changes,
the difference of its counters is added to four aggregate records in the same transaction as the
new outcome, which is written only over the version that was read:

    AGG#CAMPAIGN#<id> / ALL, AGG#CAMPAIGN#<id> / REGION#<r>      rates by campaign and region
    AGG#WEEKS#ALL / <week>, AGG#WEEKS#REGION#<r> / <week>        trends by week (campaign start)

So a retried message, or a result that is written twice, adds nothing the second time, and a
crash between the result and its counters is mended by the retry (``record`` is idempotent).

States of a store in a campaign: missing (no finished photo yet), pass, fail, review (the model
defers to a person), retake (the photo could not be judged, or a reviewer asked for a new one).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import date, datetime, timezone
from typing import Any, Iterable

from chalicelib.services.campaigns import load_campaign, target_index, target_key, week_of
from chalicelib.core.errors import Conflict, InvalidInput
from chalicelib.storage.ports import ConditionFailed, PutOp, RecordStore, UpdateOp, absent, eq


STATES = ("missing", "pass", "fail", "review", "retake")
NOT_IN = ("missing", "retake")  # "have not submitted by the deadline, or whose last photo failed"
MIN_LABELS = 20  # labelled photos a rule needs before a threshold is suggested
MAX_PAGE = 500
LABEL_COUNTERS = ("agree:", "override:", "hist:")
RECORD_TRIES = 8
TARGETS_PER_TRANSACTION = 96  # + the 4 aggregate records = DynamoDB's 100


# --- outcomes and their counters --------------------------------------------------------------


def value_bin(value: float | None) -> str | None:
    """A measured value to two significant digits: the histogram bins of the threshold finder."""
    return None if value is None else format(float(f"{value:.2g}"), "g")


def outcome_of(submission: dict[str, Any], target: dict[str, Any]) -> dict[str, Any] | None:
    """What a finished submission says for its store; None while it is not finished."""
    review = (submission.get("review") or {}).get("state")
    status = submission["status"]
    result = submission.get("result") or {}
    if status not in ("done", "rejected", "error"):
        return None
    if review == "approved":
        state = "pass"
    elif review == "rejected":
        state = "fail"
    elif review == "retake_requested" or status != "done":
        state = "retake"
    else:
        state = {"pass": "pass", "fail": "fail", "retake": "retake"}.get(result.get("verdict"), "review")
    overrides = submission.get("overrides") or {}
    reviewed = review is not None or bool(overrides)
    rules: dict[str, str] = {}
    labels: dict[str, dict[str, Any]] = {}
    for rule in result.get("rules", []):
        rule_id, model = rule["id"], rule["status"]
        reviewer = overrides.get(rule_id, {}).get("reviewer")
        rules[rule_id] = reviewer or model
        # A reviewer who decided without overriding a judged rule agrees with the model on it.
        label = reviewer or (model if reviewed and model in ("pass", "fail") else None)
        if label:
            labels[rule_id] = {"model": model, "reviewer": label, "overridden": label != model, "bin": value_bin(rule.get("value"))}
    created = datetime.fromisoformat(submission["created_at"])
    return {
        "submission_id": submission["submission_id"],
        "created_at": submission["created_at"],
        "state": state,
        "score": result.get("score"),
        "verdict": result.get("verdict"),
        "on_time": created <= datetime.fromisoformat(target["deadline_at"]),
        "guideline_version": submission.get("guideline_version"),
        "rules": rules,
        "labels": labels,
        "thresholds": {r["id"]: r["threshold"] for r in result.get("rules", []) if r.get("threshold")},
    }


def counters(outcome: dict[str, Any] | None) -> dict[str, float]:
    """What one store's outcome adds to the aggregates."""
    if outcome is None:
        return {"state:missing": 1}
    out: dict[str, float] = {f"state:{outcome['state']}": 1, "submitted": 1}
    if outcome["on_time"]:
        out["on_time"] = 1
    if outcome["score"] is not None:
        out["score_sum"] = outcome["score"]
        out["scored"] = 1
    for rule_id, status in outcome["rules"].items():
        out[f"rule:{rule_id}:{status}"] = 1
    for rule_id, label in outcome["labels"].items():
        out[f"agree:{rule_id}:{label['model']}:{label['reviewer']}"] = 1
        if label["overridden"]:
            out[f"override:{rule_id}"] = 1
        if label["bin"] is not None:
            out[f"hist:{rule_id}:{label['bin']}:{label['reviewer']}"] = 1
    return out


def difference(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    delta = {k: round(new.get(k, 0) - old.get(k, 0), 9) for k in set(old) | set(new)}
    return {k: v for k, v in delta.items() if v}


def aggregate_keys(campaign_id: str, region: str, week: str) -> list[tuple[str, str]]:
    return [(f"AGG#CAMPAIGN#{campaign_id}", "ALL"), (f"AGG#CAMPAIGN#{campaign_id}", f"REGION#{region}"),
            ("AGG#WEEKS#ALL", week), (f"AGG#WEEKS#REGION#{region}", week)]


# --- reading the counters ---------------------------------------------------------------------------


def rates(counts: dict[str, Any]) -> dict[str, Any]:
    def share(part: float, whole: float) -> float | None:
        return round(part / whole, 4) if whole else None

    states = {s: int(counts.get(f"state:{s}", 0)) for s in STATES}
    targeted = int(counts.get("targeted", 0))
    return {
        "targeted": targeted,
        "submitted": int(counts.get("submitted", 0)),
        "states": states,
        "compliance_rate": share(states["pass"], states["pass"] + states["fail"]),
        "submission_rate": share(counts.get("submitted", 0), targeted),
        "on_time_rate": share(counts.get("on_time", 0), targeted),
        "mean_score": share(counts.get("score_sum", 0), counts.get("scored", 0)),
    }


def rule_rates(counts: dict[str, Any]) -> list[dict[str, Any]]:
    per_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name, value in counts.items():
        if name.startswith("rule:"):
            _, rule_id, status = name.split(":", 2)
            per_rule[rule_id][status] += int(value)
    out = []
    for rule_id, statuses in sorted(per_rule.items()):
        judged = statuses.get("pass", 0) + statuses.get("fail", 0)
        out.append({"rule_id": rule_id, "statuses": dict(statuses),
                    "pass_rate": round(statuses.get("pass", 0) / judged, 4) if judged else None})
    return out


def summed(items: Iterable[dict[str, Any]]) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for item in items:
        for name, value in item.items():
            if ":" in name or name in ("targeted", "submitted", "on_time", "score_sum", "scored"):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    total[name] += value
    return total


def suggest_threshold(histogram: dict[float, dict[str, int]], threshold: dict[str, float] | None) -> dict[str, Any]:
    """The bound that best agrees with the reviewers' labels, for a rule with one bound."""
    labelled = sum(sum(c.values()) for c in histogram.values())
    if labelled < MIN_LABELS:
        return {"suggested": None, "reason": f"needs at least {MIN_LABELS} labelled photos with a value; has {labelled}"}
    bounds = [b for b in ("min", "max") if threshold and threshold.get(b) is not None]
    if len(bounds) != 1:
        return {"suggested": None, "reason": "only rules with one bound (min or max) get a suggestion"}
    bound = bounds[0]
    current = threshold[bound] if threshold else None

    def agreement(cut: float) -> int:
        def passes(value: float) -> bool:
            return value >= cut if bound == "min" else value <= cut

        return sum(c.get("pass", 0) if passes(v) else c.get("fail", 0) for v, c in histogram.items())

    best = max(sorted(histogram), key=lambda cut: (agreement(cut), -abs(cut - (current or 0))))
    return {"bound": bound, "current": current, "suggested": best, "labelled": labelled,
            "agreement_at_current": round(agreement(current) / labelled, 4) if current is not None else None,
            "agreement_at_suggested": round(agreement(best) / labelled, 4)}


def agreement_of(counts: dict[str, float], thresholds: dict[str, Any]) -> list[dict[str, Any]]:
    """Per rule: how often reviewers overrode it, the model's precision and recall at finding a
    failure (reviewers' labels as the truth), and a suggested threshold."""
    confusion: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    histograms: dict[str, dict[float, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    overrides: dict[str, int] = defaultdict(int)
    for name, value in counts.items():
        kind, _, rest = name.partition(":")
        if kind == "agree":
            rule_id, model, reviewer = rest.split(":")
            confusion[rule_id][(model, reviewer)] += int(value)
        elif kind == "hist":
            rule_id, value_text, reviewer = rest.split(":")
            histograms[rule_id][float(value_text)][reviewer] += int(value)
        elif kind == "override":
            overrides[rest] += int(value)
    out = []
    for rule_id in sorted(confusion):
        pairs = confusion[rule_id]
        labelled = sum(pairs.values())
        caught = pairs.get(("fail", "fail"), 0)
        flagged = caught + pairs.get(("fail", "pass"), 0)
        failures = sum(n for (model, reviewer), n in pairs.items() if reviewer == "fail")
        out.append({
            "rule_id": rule_id,
            "labelled": labelled,
            "overridden": overrides.get(rule_id, 0),
            "override_rate": round(overrides.get(rule_id, 0) / labelled, 4) if labelled else None,
            "precision": round(caught / flagged, 4) if flagged else None,
            "recall": round(caught / failures, 4) if failures else None,
            "confusion": [{"model": m, "reviewer": r, "count": n} for (m, r), n in sorted(pairs.items())],
            "threshold": suggest_threshold(histograms.get(rule_id, {}), thresholds.get(rule_id)),
        })
    return out


class Analytics:
    def __init__(self, records: RecordStore):
        self._records = records

    # --- writing -----------------------------------------------------------------------------------

    def add_targets(self, campaign: dict[str, Any], targets: list[dict[str, Any]]) -> None:
        """Write new target records and count them, a region's chunk per transaction (so a
        publish that stops half-way is finished by publishing again)."""
        by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for target in targets:
            by_region[target["region"]].append(target)
        week = week_of(campaign["start_date"])
        for region, members in sorted(by_region.items()):
            for start in range(0, len(members), TARGETS_PER_TRANSACTION):
                chunk = members[start:start + TARGETS_PER_TRANSACTION]
                delta = {"targeted": len(chunk), "state:missing": len(chunk)}
                ops: list[PutOp | UpdateOp] = [PutOp(t, condition=absent("pk")) for t in chunk]
                ops += self._aggregate_ops(campaign["campaign_id"], region, week, delta, {})
                try:
                    self._records.transact(ops)
                except ConditionFailed:
                    raise Conflict("the campaign is being published by another request: wait a moment and publish again") from None

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
            new_target = {
                **target,
                **target_index(target["campaign_id"], outcome["state"], target["region"], target["store_id"]),
                "outcome": outcome, "state": outcome["state"], "version": target["version"] + 1,
            }
            ops: list[PutOp | UpdateOp] = [PutOp(new_target, condition=eq("version", target["version"]))]
            ops += self._aggregate_ops(target["campaign_id"], target["region"], target["week"], delta, outcome["thresholds"])
            try:
                self._records.transact(ops)
                return
            except ConditionFailed:
                continue  # another writer changed this store's outcome first: read it again
        # Raised, not swallowed: the message comes back, and the processor's duplicate path records again.
        raise Conflict(f"could not record the outcome of {submission['submission_id']} after {RECORD_TRIES} tries")

    def _aggregate_ops(self, campaign_id: str, region: str, week: str, delta: dict[str, float],
                       thresholds: dict[str, Any]) -> list[UpdateOp]:
        if not delta:
            return []
        ops = []
        for pk, sk in aggregate_keys(campaign_id, region, week):
            overall = sk == "ALL" or pk == "AGG#WEEKS#ALL"
            # Reviewers' labels are read network- or campaign-wide only: region items stay small.
            add = delta if overall else {k: v for k, v in delta.items() if not k.startswith(LABEL_COUNTERS)}
            if not add:
                continue
            labels = {"scope": sk if pk.startswith("AGG#CAMPAIGN") else pk.removeprefix("AGG#WEEKS#"), "key": sk}
            known = {f"threshold:{rule_id}": t for rule_id, t in thresholds.items()} if overall else {}
            ops.append(UpdateOp(pk, sk, add=add, set={**labels, **known}, upsert=True))
        return ops

    # --- reading -----------------------------------------------------------------------------------

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        item = load_campaign(self._records, campaign_id)
        aggregates = self._records.query(f"AGG#CAMPAIGN#{campaign_id}", limit=MAX_PAGE).items
        overall = next((a for a in aggregates if a["sk"] == "ALL"), {})
        return {
            "campaign_id": campaign_id, "name": item["name"], "status": item["status"], "deadline": item["deadline"],
            "guideline_version": item["guideline_version"],
            "overall": rates(overall),
            "regions": [{"region": a["sk"].removeprefix("REGION#"), **rates(a)} for a in aggregates if a["sk"] != "ALL"],
            "rules": rule_rates(overall),
        }

    def stores(self, campaign_id: str, state: str | None = None, region: str | None = None,
               limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """The campaign's stores with their outcome, by state (all states, one after the other)."""
        if state is not None and state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}")
        return self._targets(campaign_id, (state,) if state else STATES, region, limit, cursor)

    def missing(self, campaign_id: str, region: str | None = None, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """Stores with no usable photo: none yet (or none by the deadline), or the last one failed."""
        page = self._targets(campaign_id, NOT_IN, region, limit, cursor)
        now = datetime.now(timezone.utc)
        for row in page["stores"]:
            row["past_deadline"] = datetime.fromisoformat(row["deadline_at"]) < now
        return page

    def _targets(self, campaign_id: str, states: tuple[str, ...], region: str | None, limit: int,
                 cursor: str | None) -> dict[str, Any]:
        load_campaign(self._records, campaign_id)
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
        position, inner = 0, None
        if cursor:  # "<index of the state>.<the store's cursor in that state>"
            head, _, inner = cursor.partition(".")
            if not (head.isascii() and head.isdigit()) or int(head) >= len(states):
                raise InvalidInput("invalid cursor: pass back the cursor of the previous page unchanged", code="invalid_cursor")
            position, inner = int(head), inner or None
        rows: list[dict[str, Any]] = []
        while position < len(states) and len(rows) < limit:
            try:
                page = self._records.query(f"CAMPAIGN#{campaign_id}#STATE#{states[position]}", index="gsi1",
                                           sk_prefix=f"{region}#" if region else "", limit=limit - len(rows), cursor=inner)
            except ValueError as err:
                raise InvalidInput(str(err), code="invalid_cursor") from None
            rows += [_store_row(t) for t in page.items]
            if page.cursor:
                inner = page.cursor
                break
            position, inner = position + 1, None
        next_cursor = f"{position}.{inner or ''}" if position < len(states) else None
        return {"stores": rows, "cursor": next_cursor}

    def trends(self, region: str | None = None, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        """Rates by week of campaign start, network-wide or for a region."""
        weeks = self._weeks(region, date_from, date_to)
        return {"region": region, "weeks": [{"week": w["sk"], **rates(w), "rules": rule_rates(w)} for w in weeks],
                "total": rates(summed(weeks))}

    def store(self, store_id: str, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        """A store's outcome in every campaign it was in (by campaign start), and its rates."""
        first, last = _date_range(date_from, date_to)
        rows, cursor = [], None
        while True:
            page = self._records.query(f"STORE#{store_id}", index="gsi2", limit=MAX_PAGE, cursor=cursor)
            rows += [t for t in page.items if first <= t["start_date"] <= last]
            if not (cursor := page.cursor):
                break
        counts = summed(counters(t.get("outcome")) | {"targeted": 1} for t in rows)
        return {"store_id": store_id, "campaigns": [_store_row(t) for t in rows], "total": rates(counts)}

    def agreement(self, campaign_id: str | None = None, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        """Reviewer–model agreement per rule, for a campaign or the campaigns that started in a range."""
        if campaign_id:
            load_campaign(self._records, campaign_id)
            items = [i for i in [self._records.get(f"AGG#CAMPAIGN#{campaign_id}", "ALL")] if i]
        else:
            items = self._weeks(None, date_from, date_to)
        thresholds: dict[str, Any] = {}
        for item in items:  # the latest campaign's bound of each rule id
            thresholds.update({k.removeprefix("threshold:"): v for k, v in item.items() if k.startswith("threshold:")})
        return {"campaign_id": campaign_id, "rules": agreement_of(summed(items), thresholds), "min_labels": MIN_LABELS}

    def _weeks(self, region: str | None, date_from: str | None, date_to: str | None) -> list[dict[str, Any]]:
        first, last = _date_range(date_from, date_to)
        first_week, last_week = week_of(first), week_of(last)
        weeks, cursor = [], None
        while True:  # a few hundred weeks at most: three years of weekly campaigns is 156
            page = self._records.query(f"AGG#WEEKS#{'REGION#' + region if region else 'ALL'}", limit=MAX_PAGE, cursor=cursor)
            weeks += [w for w in page.items if first_week <= w["sk"] <= last_week]
            if not (cursor := page.cursor):
                return weeks


def _store_row(target: dict[str, Any]) -> dict[str, Any]:
    outcome = target.get("outcome") or {}
    return {
        **{k: target[k] for k in ("campaign_id", "store_id", "store_name", "region", "timezone", "deadline_at", "state")},
        "submission_id": outcome.get("submission_id"),
        "submitted_at": outcome.get("created_at"),
        "score": outcome.get("score"),
        "on_time": outcome.get("on_time"),
        "failed_rules": sorted(r for r, s in (outcome.get("rules") or {}).items() if s == "fail"),
    }


def _date_range(date_from: str | None, date_to: str | None) -> tuple[str, str]:
    try:
        first = date.fromisoformat(date_from).isoformat() if date_from else "0001-01-01"
        last = date.fromisoformat(date_to).isoformat() if date_to else "9999-12-31"
    except ValueError:
        raise InvalidInput("from and to are dates like 2026-11-30") from None
    if first > last:
        raise InvalidInput(f"from ({first}) is after to ({last})")
    return first, last

