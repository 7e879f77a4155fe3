"""Reviewer–model agreement per rule, and the threshold that would agree best with the reviewers:
pure functions over the label counters (chalicelib.services.analytics.outcomes)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

MIN_LABELS = 20  # labelled photos a rule needs before a threshold is suggested


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
    return {
        "bound": bound,
        "current": current,
        "suggested": best,
        "labelled": labelled,
        "agreement_at_current": round(agreement(current) / labelled, 4) if current is not None else None,
        "agreement_at_suggested": round(agreement(best) / labelled, 4),
    }


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
        out.append(
            {
                "rule_id": rule_id,
                "labelled": labelled,
                "overridden": overrides.get(rule_id, 0),
                "override_rate": round(overrides.get(rule_id, 0) / labelled, 4) if labelled else None,
                "precision": round(caught / flagged, 4) if flagged else None,
                "recall": round(caught / failures, 4) if failures else None,
                "confusion": [{"model": m, "reviewer": r, "count": n} for (m, r), n in sorted(pairs.items())],
                "threshold": suggest_threshold(histograms.get(rule_id, {}), thresholds.get(rule_id)),
            }
        )
    return out
