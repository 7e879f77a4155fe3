"""A store's outcome in a campaign and what it adds to HQ's counters: pure functions, no storage.

A targeted store's *outcome* is what its latest finished photo says once reviewers have had their
say: its state (chalicelib.core.vocabulary OUTCOME_STATES: missing — no finished photo yet —,
pass, fail, review — the model defers to a person —, retake — the photo could not be judged, or
a reviewer asked for a new one), score, whether it came on time, each rule's final status and
the reviewers' labels. Counters are flat ``name -> number`` maps, summed into the aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.core.vocabulary import OUTCOME_STATES

NOT_IN = ("missing", "retake")  # "have not submitted by the deadline, or whose last photo failed"
LABEL_COUNTERS = ("agree:", "override:", "hist:")


def value_bin(value: float | None) -> str | None:
    """A measured value to two significant digits: the histogram bins of the threshold finder."""
    return None if value is None else format(float(f"{value:.2g}"), "g")


def outcome_of(submission: dict[str, Any], target: dict[str, Any]) -> dict[str, Any] | None:
    """What a finished submission says for its store; None while it is not finished."""
    review = (submission.get("review") or {}).get("state")
    status = submission["status"]
    result: dict[str, Any] = submission.get("result") or {}
    if status not in ("done", "rejected", "error"):
        return None
    if review == "approved":
        state = "pass"
    elif review == "rejected":
        state = "fail"
    elif review == "retake_requested" or status != "done":
        state = "retake"
    else:
        state = {"pass": "pass", "fail": "fail", "retake": "retake"}.get(str(result.get("verdict")), "review")
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
            labels[rule_id] = {
                "model": model,
                "reviewer": label,
                "overridden": label != model,
                "bin": value_bin(rule.get("value")),
            }
    created = datetime.fromisoformat(submission["created_at"])
    return {
        "submission_id": submission["submission_id"],
        "created_at": submission["created_at"],
        "state": state,
        "review": review or "pending",  # the gallery's queue: whether a person decided yet
        "reason_code": submission.get("reason_code") if status != "done" else None,  # why a photo was refused
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


def rates(counts: dict[str, Any]) -> dict[str, Any]:
    def share(part: float, whole: float) -> float | None:
        return round(part / whole, 4) if whole else None

    states = {s: int(counts.get(f"state:{s}", 0)) for s in OUTCOME_STATES}
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
        out.append(
            {
                "rule_id": rule_id,
                "statuses": dict(statuses),
                "pass_rate": round(statuses.get("pass", 0) / judged, 4) if judged else None,
            }
        )
    return out


def summed(items: Iterable[dict[str, Any]]) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for item in items:
        for name, value in item.items():
            if ":" in name or name in ("targeted", "submitted", "on_time", "score_sum", "scored"):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    total[name] += value
    return total
