"""Objects: how many of a class (a person, a mannequin, a bag, a product) are in the window's zone.

Detections come from the rule's model (chalicelib.vision.detection), decoded once per photo; by
default the bundled COCO detector (models/README.md). A detection counts when its label is the
rule's, its score is at least ``min_confidence`` and the centre of its box lies in the rule's
zone (an object straddling the zone's edge belongs to the side where most of it is). The rule
passes when min_count <= count <= max_count.

With the COCO detector, three labels are the figures of chalicelib.vision.figures: ``person``
(a living person: the passer-by in front of the window), ``mannequin``, and
``person_or_mannequin`` (COCO's own ``person``: either). Every other COCO label (``handbag``,
``backpack``, ``suitcase``, ``bottle``, ``chair``, ``potted plant``, ``tv``, ...) is the
detector's. When the zone is small (at most ``ZONE_PASS_SHARE`` of the photo: a quarter, not a half), the detector runs
a second time on the zone alone, so that small products far away fill its 300 x 300 input.
Otherwise a figure label adds the detector's figure pass (detection.detect_figures: the photo with
its proportions kept), which finds mannequins the stretched whole photo misses.
"""

from __future__ import annotations

from chalicelib.core.guideline import ObjectsRule
from chalicelib.vision import detection, figures
from chalicelib.vision.context import PhotoContext
from chalicelib.vision.evidence import Box, Evidence, ZoneBox
from chalicelib.vision.inference import ModelError
from chalicelib.vision.verdict import RuleResult, Threshold

MAX_EVIDENCE_BOXES = 20
DEFAULT_CONFIDENCE = {detection.SSD: 0.5}  # by detector family; any other: 0.75
ZONE_PASS_SHARE = 0.3  # a zone this small (share of the photo's area) gets its own detector pass; halves do not

_PLURALS = {
    "person": "people",
    "bus": "buses",
    "couch": "couches",
    "knife": "knives",
    "mouse": "mice",
    "person_or_mannequin": "people or mannequins",
    "skis": "skis",
    "scissors": "scissors",
    "glass": "glasses",
}


def _inside(point: tuple[float, float], zone: tuple[int, int, int, int]) -> bool:
    x, y, w, h = zone
    return x <= point[0] < x + w and y <= point[1] < y + h


def _name(label: str, count: int) -> str:
    shown = label.replace("_", " ") if count == 1 else _PLURALS.get(label, label.replace("_", " ") + "s")
    if count == 1:
        return "person or mannequin" if label == figures.FIGURE else shown
    return shown


def _pass_message(label: str, count: int) -> str:
    if count == 0:
        return f"No {_name(label, 1)} in the window, as required."
    return f"Found {count} {_name(label, count)} in the window, as required."


def _what_is_wrong(label: str, count: int, minimum: int, maximum: int | None, zone: str | None) -> str:
    where = f" in the {zone.replace('_', ' ')}" if zone else ""
    seen = f"{count} {_name(label, count)}" if count else f"no {_name(label, 1)}"
    if count < minimum:
        return f"Seen {seen}{where}; at least {minimum} needed."
    if maximum == 0:
        return f"Seen {seen}{where}; there should be none."
    return f"Seen {seen}{where}; at most {maximum} allowed."


def _detections(
    rule: ObjectsRule, context: PhotoContext, zone: tuple[int, int, int, int], figure: bool
) -> list[detection.Detection]:
    """The detections of the rule's model: whole photo, plus the zone pass if the zone is
    small, or else the figure pass for a figure label (the whole pass is run once per photo for all
    of them, each second pass once)."""
    model = rule.parameters.model
    width, height = context.size
    small = zone[2] * zone[3] <= ZONE_PASS_SHARE * width * height
    if small:
        return detection.photo_region_detections(context, model, zone)
    if figure:
        return detection.photo_figure_detections(context, model)
    return detection.photo_detections(context, model)


def evaluate(rule: ObjectsRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    known = detection.labels(context.models, params.model)
    is_ssd = detection.family(context.models.spec(params.model)) == detection.SSD  # an unknown family raises here
    figure_label = is_ssd and params.label in figures.FIGURE_LABELS
    if params.label not in known and not figure_label:
        extra = list(figures.FIGURE_LABELS) if is_ssd else []
        names = [name for name in [*extra, *known] if name]
        raise ModelError(
            f"model {params.model!r} has no label {params.label!r}; its labels: {', '.join(dict.fromkeys(names[:90]))}"
        )
    kind = detection.family(context.models.spec(params.model))
    min_confidence = params.min_confidence if params.min_confidence is not None else DEFAULT_CONFIDENCE.get(kind, 0.75)
    zone = context.zone_pixels(rule.zone)
    found_all = _detections(rule, context, zone, figure_label)
    candidates = [found for found in found_all if found.score >= min_confidence and _inside(found.centre, zone)]
    if figure_label and params.label != figures.FIGURE:
        people = [found for found in candidates if found.label == figures.COCO_PERSON]
        labelled = [figure.detection for figure in figures.photo_figures(context, people)]
        counted = [found for found in labelled if found.label == params.label]
    else:
        counted = [
            found
            for found in candidates
            if found.label == (figures.COCO_PERSON if params.label == figures.FIGURE else params.label)
        ]
    count = len(counted)
    threshold = Threshold(min=params.min_count, max=params.max_count)
    status, confidence = threshold.judge(count)

    evidence: list[Evidence] = []
    if rule.zone is not None:
        evidence.append(ZoneBox(zone))
    shown = params.label if params.label == figures.FIGURE else None
    for found in counted[:MAX_EVIDENCE_BOXES]:
        evidence.append(Box(tuple(round(v) for v in found.box), f"{shown or found.label} {found.score:.2f}"))
    message = None
    if status != "pass":
        zone_name = (rule.zone.name or "zone") if rule.zone is not None else None
        message = f"{rule.message} ({_what_is_wrong(params.label, count, params.min_count, params.max_count, zone_name)})"
    return RuleResult.judged(
        rule, status, count, threshold, confidence, evidence, passed=_pass_message(params.label, count), message=message
    )
