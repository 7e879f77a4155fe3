"""Analysis: uploaded bytes and a guideline in; the verdict, the score and every rule's result out.

intake -> for each rule type in the guideline, measure the photo once -> judge every rule ->
score_and_verdict. A check that crashes gives that rule the status "error" (a person reviews
the photo) instead of losing the whole analysis; only an unusable upload raises
(IntakeRejected).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from chalicelib.guideline import Guideline, PhotoQualityRule, Rule
from chalicelib.vision.checks import photo_quality
from chalicelib.vision.intake import IntakeResult, intake
from chalicelib.vision.verdict import RuleResult, score_and_verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    """How one rule type runs: ``measure`` once per photo, then ``evaluate`` once per rule."""

    measure: Callable[[IntakeResult], Any]
    evaluate: Callable[[Any, Any], RuleResult]


# The rule types this analyser can run. A new type is one module under checks/ and one line here.
CHECKS: dict[str, Check] = {
    PhotoQualityRule.type_name: Check(photo_quality.measure, photo_quality.evaluate),
}


@dataclass(frozen=True)
class Analysis:
    result: dict[str, Any]  # JSON-able; see analyse()
    normalised_jpeg: bytes
    thumbnail_jpeg: bytes


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def _error_result(rule: Rule, detail: str) -> RuleResult:
    return RuleResult(
        id=rule.id,
        type=rule.type_name,
        status="error",
        value=None,
        threshold=None,
        confidence=0.0,
        message="This check could not be run on the photo; a person will look at it.",
        evidence=[{"kind": "note", "text": detail[:300]}],
        weight=rule.weight,
    )


def _measure_all(image: IntakeResult, guideline: Guideline, timings: dict[str, float]) -> dict[str, Any]:
    """The measures of every rule type the guideline uses (timed into ``timings`` by type),
    or the exception that stopped one."""
    measures: dict[str, Any] = {}
    for rule_type in dict.fromkeys(rule.type_name for rule in guideline.rules):
        check = CHECKS.get(rule_type)
        if check is None:
            continue
        started = time.perf_counter()
        try:
            measures[rule_type] = check.measure(image)
        except Exception as exc:  # noqa: BLE001 - one broken check must not sink the others
            log.exception("measuring %s failed", rule_type)
            measures[rule_type] = exc
        timings[rule_type] = _elapsed_ms(started)
    return measures


def _judge(rule: Rule, measures: dict[str, Any]) -> RuleResult:
    check = CHECKS.get(rule.type_name)
    if check is None:
        return _error_result(rule, f"Rule type {rule.type_name!r} is not supported by this analyser.")
    measured = measures[rule.type_name]
    if isinstance(measured, Exception):
        return _error_result(rule, f"Measuring failed: {type(measured).__name__}: {measured}")
    try:
        return check.evaluate(rule, measured)
    except Exception as exc:  # noqa: BLE001
        log.exception("rule %s failed", rule.id)
        return _error_result(rule, f"{type(exc).__name__}: {exc}")


def analyse(photo: bytes, guideline: Guideline) -> Analysis:
    """Run the guideline's rules on a photo; raise IntakeRejected when the upload is unusable.

    ``result``: {"verdict", "score", "rules": [RuleResult.to_dict(), ...],
    "photo": {"format", "width", "height", "megapixels"}, "warnings": [...],
    "timings_ms": {"intake", "measure": {<rule type>: ms}, "rules": {<rule id>: ms}, "total"}}.
    """
    started = time.perf_counter()
    image = intake(photo)
    timings: dict[str, Any] = {"intake": _elapsed_ms(started), "measure": {}, "rules": {}}

    measures = _measure_all(image, guideline, timings["measure"])
    results = []
    for rule in guideline.rules:
        judged_at = time.perf_counter()
        results.append(_judge(rule, measures))
        timings["rules"][rule.id] = _elapsed_ms(judged_at)

    gating_ids = {rule.id for rule in guideline.rules if type(rule).gates_photo}
    score, verdict = score_and_verdict(results, gating_ids)
    width, height = image.original_size
    timings["total"] = _elapsed_ms(started)
    result = {
        "verdict": verdict,
        "score": score,
        "rules": [r.to_dict() for r in results],
        "photo": {"format": image.format, "width": width, "height": height, "megapixels": round(width * height / 1e6, 2)},
        "warnings": list(image.warnings),
        "timings_ms": timings,
    }
    return Analysis(result=result, normalised_jpeg=image.normalised_jpeg, thumbnail_jpeg=image.thumbnail_jpeg)
