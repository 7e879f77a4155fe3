"""Objects: how many of a class (a person, a product, a display stand) are in the window's zone.

Detections come from the rule's model (chalicelib.vision.detection), decoded once per photo. A
detection counts when its label is the rule's, its score is at least ``min_confidence`` and the
centre of its box lies in the rule's zone (an object straddling the zone's edge belongs to the
side where most of it is). The rule passes when min_count <= count <= max_count.
"""

from __future__ import annotations

from chalicelib.core.guideline import ObjectsRule
from chalicelib.vision import detection
from chalicelib.vision.context import PhotoContext
from chalicelib.vision.evidence import Box, Evidence, ZoneBox
from chalicelib.vision.inference import ModelError
from chalicelib.vision.verdict import RuleResult, Threshold

MAX_EVIDENCE_BOXES = 20


def _inside(point: tuple[float, float], zone: tuple[int, int, int, int]) -> bool:
    x, y, w, h = zone
    return x <= point[0] < x + w and y <= point[1] < y + h


def _pass_message(label: str, count: int) -> str:
    if count == 0:
        return f"No {label} in the window, as required."
    return f"Found {count} {label}{'' if count == 1 else 's'} in the window, as required."


def evaluate(rule: ObjectsRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    known = detection.labels(context.models, params.model)
    if params.label not in known:
        raise ModelError(f"model {params.model!r} has no label {params.label!r}; its labels: {', '.join(known[:50])}")
    zone = context.zone_pixels(rule.zone)
    counted = [
        found
        for found in detection.photo_detections(context, params.model)
        if found.label == params.label and found.score >= params.min_confidence and _inside(found.centre, zone)
    ]
    count = len(counted)
    threshold = Threshold(min=params.min_count, max=params.max_count)
    status, confidence = threshold.judge(count)

    evidence: list[Evidence] = []
    if rule.zone is not None:
        evidence.append(ZoneBox(zone))
    for found in counted[:MAX_EVIDENCE_BOXES]:
        evidence.append(Box(tuple(round(v) for v in found.box), f"{found.label} {found.score:.2f}"))
    return RuleResult.judged(rule, status, count, threshold, confidence, evidence, passed=_pass_message(params.label, count))
