"""Rule results, and how they add up to a submission's score and verdict (see DESIGN.md).

Plain data, no image stack: results are stored as JSON and read back by the API.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

RuleStatus = Literal["pass", "fail", "uncertain", "error", "skipped"]
Verdict = Literal["pass", "fail", "review", "retake"]


@dataclass(frozen=True)
class Threshold:
    min: float | None = None
    max: float | None = None
    uncertain_margin: float = 0.0

    def judge(self, value: float) -> tuple[RuleStatus, float]:
        """Status of a measured value, and a confidence in 0..1.

        Inside ``uncertain_margin`` of a bound the value is "uncertain": a person decides.
        Confidence grows with the distance from the nearest bound, in units of that margin.
        """
        distances = []
        if self.min is not None:
            distances.append(value - self.min)
        if self.max is not None:
            distances.append(self.max - value)
        if not distances:
            return "pass", 1.0
        # Rounded: 0.9 - 0.8 is 0.0999…, which must not fall inside a margin of 0.1.
        nearest = round(min(distances), 9)  # negative: on the wrong side of a bound
        margin = self.uncertain_margin
        if margin > 0 and abs(nearest) < margin:
            return "uncertain", round(0.5 * abs(nearest) / margin, 3)
        scale = margin if margin > 0 else max(abs(self.min or 0), abs(self.max or 0), 1e-9) * 0.1
        confidence = min(1.0, 0.5 + 0.5 * (abs(nearest) - margin) / scale)
        return ("pass" if nearest >= 0 else "fail"), round(confidence, 3)

    def to_dict(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class RuleResult:
    id: str
    type: str
    status: RuleStatus
    value: float | None
    threshold: Threshold | None
    confidence: float
    message: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    weight: float = 1.0
    # This result means the photo cannot be judged (blurry, dark, of something else): "retake".
    retake: bool = False

    @classmethod
    def judged(
        cls,
        rule: Any,
        status: RuleStatus,
        value: float | None,
        threshold: Threshold | None,
        confidence: float,
        evidence: list[dict[str, Any]],
        *,
        passed: str,
        message: str | None = None,
        retake: bool = False,
    ) -> "RuleResult":
        """A rule's result: id, type and weight from the rule; the message is ``passed`` when the
        rule passes and the rule's own words (what the store must fix) otherwise, unless given."""
        return cls(
            id=rule.id,
            type=rule.type_name,
            status=status,
            value=value,
            threshold=threshold,
            confidence=confidence,
            message=message if message is not None else (passed if status == "pass" else rule.message),
            evidence=evidence,
            weight=rule.weight,
            retake=retake,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["threshold"] = self.threshold.to_dict() if self.threshold else None
        return out


def score_and_verdict(results: Sequence[RuleResult]) -> tuple[float, Verdict]:
    """Weighted share of passed rules (skipped ones left out), and the verdict.

    ``retake``: a result says the photo cannot be judged (a failed photo-quality rule, say).
    ``fail``: a rule failed. ``review``: nothing failed but a rule is uncertain or errored.
    """
    judged = [r for r in results if r.status != "skipped"]
    total = sum(r.weight for r in judged)
    passed = sum(r.weight for r in judged if r.status == "pass")
    score = round(passed / total, 4) if total > 0 else 0.0
    statuses = {r.status for r in judged}
    if any(r.retake for r in judged):
        return score, "retake"
    if "fail" in statuses:
        return score, "fail"
    if statuses & {"uncertain", "error"}:
        return score, "review"
    return score, "pass"
