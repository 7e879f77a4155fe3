"""Analysis: uploaded bytes, a guideline and its pack in; the verdict, the score and every rule's
result out.

intake → the photo-quality rules first (the gate) → if the photo is usable, every other rule,
each check module reading what it needs through one PhotoContext, so work shared between rules
(an artwork match, the OCR, the embedding) is done once → score_and_verdict. A photo that must be
retaken is not judged further: its other rules are "skipped", not a wall of false failures. A
check that crashes gives its rule the status "error" (a person reviews the photo) instead of
losing the whole analysis; only an unusable upload raises (IntakeRejected).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.core.guideline import OBJECT_DETECTOR, PERSON_DETECTOR, ArtworkRule, Guideline, Rule
from chalicelib.vision import embedding, ocr, overlay
from chalicelib.vision.checks import artwork, lighting, objects, palette, photo_quality, similarity, text
from chalicelib.vision.context import Pack, PhotoContext
from chalicelib.vision.evidence import Note
from chalicelib.vision.inference import Models
from chalicelib.vision.intake import intake
from chalicelib.vision.verdict import AnalysisResult, PhotoFacts, RuleResult, Timings, score_and_verdict

log = logging.getLogger(__name__)

Evaluate = Callable[[Any, PhotoContext], RuleResult]

# The rule types this analyser can run. A new type is one module under checks/ and one line here.
CHECKS: dict[str, Evaluate] = {
    "photo_quality": photo_quality.evaluate,
    "artwork_present": artwork.evaluate,
    "text": text.evaluate,
    "objects": objects.evaluate,
    "palette": palette.evaluate,
    "reference_similarity": similarity.evaluate,
    "lighting": lighting.evaluate,
}


# The models the checks use by default; a guideline may name a retailer's own detector, which
# is verified when its session is created.
BUNDLED_MODELS = (ocr.DET_MODEL, ocr.REC_MODEL, ocr.CLS_MODEL, embedding.EMBEDDING_MODEL, PERSON_DETECTOR, OBJECT_DETECTOR)


@dataclass(frozen=True)
class Analysis:
    outcome: AnalysisResult
    normalised_jpeg: bytes
    thumbnail_jpeg: bytes
    overlay_jpeg: bytes  # the photo with each rule's evidence drawn, and a legend

    @property
    def result(self) -> dict[str, Any]:
        """The outcome as it is stored with the submission and served by the API."""
        return self.outcome.to_dict()


def _elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def _unjudged(rule: Rule, status: str, message: str, detail: str | None = None) -> RuleResult:
    evidence = [Note(detail[:300])] if detail else []
    return RuleResult.judged(rule, status, None, None, 0.0, evidence, passed=message, message=message)  # type: ignore[arg-type]


def _judge(rule: Rule, context: PhotoContext) -> RuleResult:
    evaluate = CHECKS.get(rule.type_name)
    if evaluate is None:
        return _unjudged(
            rule,
            "error",
            "This rule could not be checked; a person will look at it.",
            f"Rule type {rule.type_name!r} is not supported by this analyser.",
        )
    try:
        return evaluate(rule, context)
    except Exception as exc:  # noqa: BLE001 - one broken check must not sink the others
        log.exception("rule %s (%s) failed", rule.id, rule.type_name)
        return _unjudged(
            rule, "error", "This rule could not be checked; a person will look at it.", f"{type(exc).__name__}: {exc}"
        )


def judge_rules(guideline: Guideline, context: PhotoContext, gate: bool = True) -> tuple[list[RuleResult], dict[str, float]]:
    """Every rule's result in the guideline's order, and the milliseconds each took.

    The photo-quality rules run first (the gate); a photo that must be retaken is not judged
    further, unless ``gate`` is False (an evaluation measuring every rule on every photo).
    """
    gate_first = sorted(guideline.rules, key=lambda rule: not type(rule).gates_photo)
    results: dict[str, RuleResult] = {}
    timings: dict[str, float] = {}
    retake = False
    for rule in gate_first:
        if gate and retake and not type(rule).gates_photo:
            results[rule.id] = _unjudged(rule, "skipped", "Not checked: the photo must be taken again first.")
            continue
        judged_at = time.perf_counter()
        results[rule.id] = _judge(rule, context)
        timings[rule.id] = _elapsed_ms(judged_at)
        # Only a photo-quality failure stops the analysis; a later "retake" (a photo of something
        # else) still lets the remaining rules say what they see.
        retake = retake or (type(rule).gates_photo and results[rule.id].retake)
    return [results[rule.id] for rule in guideline.rules], timings


def _withdrawn(guideline: Guideline) -> tuple[str, ...]:
    """The artworks the guideline forbids (an artwork rule in ``forbidden`` mode)."""
    forbidden = {
        rule.parameters.artwork
        for rule in guideline.rules
        if isinstance(rule, ArtworkRule) and rule.parameters.mode == "forbidden"
    }
    return tuple(sorted(forbidden))


def analyse(photo: bytes, guideline: Guideline, pack: Pack | None = None, models: Models | None = None) -> Analysis:
    """Run the guideline's rules on a photo; raise IntakeRejected when the upload is unusable.

    ``outcome``: an AnalysisResult; ``result``, its JSON: {"verdict", "score", "rules":
    [RuleResult.to_dict(), ...], "photo": {"format", "width", "height", "megapixels"},
    "warnings": [...], "timings_ms": {"intake", "rules": {<rule id>: ms}, "overlay", "total"}}.
    """
    started = time.perf_counter()
    image = intake(photo)
    context = PhotoContext(image, pack, models, guideline.artworks(), withdrawn=_withdrawn(guideline))
    intake_ms = _elapsed_ms(started)
    ordered, rule_ms = judge_rules(guideline, context)
    score, verdict = score_and_verdict(ordered)
    width, height = image.original_size
    outcome = AnalysisResult(
        verdict=verdict,
        score=score,
        rules=tuple(ordered),
        photo=PhotoFacts(image.format, width, height, round(width * height / 1e6, 2)),
        warnings=tuple(image.warnings),
        timings=Timings(intake_ms, rule_ms),
    )
    drawn_at = time.perf_counter()
    overlay_jpeg = overlay.render(image.working, outcome)
    timings = replace(outcome.timings, overlay=_elapsed_ms(drawn_at), total=_elapsed_ms(started))
    return Analysis(replace(outcome, timings=timings), image.normalised_jpeg, image.thumbnail_jpeg, overlay_jpeg)
