"""Rule results, and how they add up to a submission's score and verdict (docs/ARCHITECTURE.md).

Plain data, no image stack: results are stored as JSON and read back by the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from chalicelib.core.vocabulary import RuleStatus, Verdict
from chalicelib.vision.evidence import Evidence, evidence_from_json


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

    @classmethod
    def from_dict(cls, data: Mapping[str, float]) -> Threshold:
        return cls(**data)


@dataclass(frozen=True)
class RuleResult:
    id: str
    type: str
    status: RuleStatus
    value: float | None
    threshold: Threshold | None
    confidence: float
    message: str
    evidence: tuple[Evidence, ...] = ()
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
        evidence: Sequence[Evidence],
        *,
        passed: str,
        message: str | None = None,
        retake: bool = False,
    ) -> RuleResult:
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
            evidence=tuple(evidence),
            weight=rule.weight,
            retake=retake,
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored (and served) JSON of this result, evidence included."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["threshold"] = self.threshold.to_dict() if self.threshold else None
        out["evidence"] = [item.to_json() for item in self.evidence]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleResult:
        """A stored result read back (the overlay of a stored result, say)."""
        threshold = data.get("threshold")
        return cls(
            id=data["id"],
            type=data["type"],
            status=data["status"],
            value=data.get("value"),
            threshold=Threshold.from_dict(threshold) if threshold else None,
            confidence=data.get("confidence", 0.0),
            message=data.get("message", ""),
            evidence=tuple(evidence_from_json(item) for item in data.get("evidence", [])),
            weight=data.get("weight", 1.0),
            retake=data.get("retake", False),
        )


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


@dataclass(frozen=True)
class PhotoFacts:
    """The uploaded photo as it was received (not the working image the evidence is in)."""

    format: str
    width: int
    height: int
    megapixels: float

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "width": self.width, "height": self.height, "megapixels": self.megapixels}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhotoFacts:
        return cls(data["format"], data["width"], data["height"], data["megapixels"])


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent on each step; ``overlay`` and ``total`` are known only once the
    overlay, which draws the rest of the result, is done."""

    intake: float
    rules: Mapping[str, float]  # by rule id, in the order the rules ran
    overlay: float | None = None
    total: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"intake": self.intake, "rules": dict(self.rules)}
        for name in ("overlay", "total"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Timings:
        return cls(data["intake"], dict(data.get("rules", {})), data.get("overlay"), data.get("total"))


@dataclass(frozen=True)
class AnalysisResult:
    """A photo's whole analysis: the verdict, the score and every rule's result, in the
    guideline's order. ``to_dict`` is the JSON stored with the submission and served by the API."""

    verdict: Verdict
    score: float
    rules: tuple[RuleResult, ...]
    photo: PhotoFacts
    warnings: tuple[str, ...]
    timings: Timings

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "score": self.score,
            "rules": [rule.to_dict() for rule in self.rules],
            "photo": self.photo.to_dict(),
            "warnings": list(self.warnings),
            "timings_ms": self.timings.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalysisResult:
        """A stored result read back; keys a later step added (``guideline_version``) are ignored."""
        return cls(
            verdict=data["verdict"],
            score=data["score"],
            rules=tuple(RuleResult.from_dict(rule) for rule in data.get("rules", [])),
            photo=PhotoFacts.from_dict(data["photo"]),
            warnings=tuple(data.get("warnings", [])),
            timings=Timings.from_dict(data["timings_ms"]),
        )
