"""Reference similarity: does the photo look like the campaign's reference photo(s)?

The value is the best similarity (see chalicelib.vision.embedding) between the photo and any of
the rule's reference photos. Two bounds matter: ``min_similarity`` (with its uncertain band) says
whether the window is dressed like the reference; far below it, under ``wrong_subject_below``,
the photo is not of a shop window at all (the floor, a selfie, a cat), which is a retake, not a
badly dressed window.
"""

from __future__ import annotations

from chalicelib.core.guideline import SimilarityRule
from chalicelib.vision import embedding
from chalicelib.vision.context import PhotoContext
from chalicelib.vision.evidence import Evidence, Note, ZoneBox
from chalicelib.vision.verdict import RuleResult, Threshold

PASS_MESSAGE = "The window looks like the reference photo."
WRONG_SUBJECT_MESSAGE = (
    "This photo does not seem to show the shop window. Please take a photo of the whole window from the street."
)


def _photo_embedding(rule: SimilarityRule, context: PhotoContext):
    if rule.zone is None:
        return embedding.photo_embedding(context)
    # A zoned rule compares only that part of the window with the reference.
    x, y, w, h = context.zone_pixels(rule.zone)
    return context.shared(
        f"embedding:zone:{x},{y},{w},{h}",
        lambda: embedding.embed(context.models, context.rgb[y : y + h, x : x + w]),
    )


def evaluate(rule: SimilarityRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    photo = _photo_embedding(rule, context)
    scores = {
        name: embedding.similarity(photo, embedding.reference_embedding(context.models, context.pack.read(name)))
        for name in params.references
    }
    best_name = max(scores, key=scores.__getitem__)
    value = round(scores[best_name], 3)
    threshold = Threshold(min=params.min_similarity, uncertain_margin=params.uncertain_margin)
    status, confidence = threshold.judge(value)
    wrong_subject = value < params.wrong_subject_below
    if wrong_subject:
        status = "fail"
    listed = ", ".join(f"{name} {score:.3f}" for name, score in sorted(scores.items(), key=lambda kv: -kv[1]))
    evidence: list[Evidence] = [Note(f"Similarity to the reference photos: {listed}.")]
    if rule.zone is not None:
        evidence.insert(0, ZoneBox(context.zone_pixels(rule.zone)))
    return RuleResult.judged(rule, status, value, threshold, confidence, evidence, passed=PASS_MESSAGE,
                             message=WRONG_SUBJECT_MESSAGE if wrong_subject else None, retake=wrong_subject)
