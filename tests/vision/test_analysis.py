"""The whole image pipeline: bytes and a guideline in, a JSON-able verdict out."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from chalicelib.core.guideline import QUALITY_CHECKS
from chalicelib.vision import analysis
from chalicelib.vision.analysis import analyse
from chalicelib.vision.checks import photo_quality
from chalicelib.vision.intake import IntakeRejected


def test_good_photo_passes_a_quality_guideline(sharp_jpeg, make_guideline):
    outcome = analyse(sharp_jpeg, make_guideline())
    result = outcome.result
    assert result["verdict"] == "pass", result["rules"]
    assert result["score"] == 1.0
    assert [r["status"] for r in result["rules"]] == ["pass"] * len(QUALITY_CHECKS)
    assert result["photo"] == {"format": "jpeg", "width": 4032, "height": 3024, "megapixels": 12.19}
    assert result["warnings"] == []
    timings = result["timings_ms"]
    assert {"intake", "rules", "overlay", "total"} == set(timings)
    assert "quality-tilt" in timings["rules"]
    json.dumps(result)  # stored as-is
    assert Image.open(io.BytesIO(outcome.normalised_jpeg)).size == (2016, 1512)
    assert Image.open(io.BytesIO(outcome.thumbnail_jpeg)).size == (400, 300)
    assert Image.open(io.BytesIO(outcome.overlay_jpeg)).width == 1280


def test_blurred_photo_must_be_retaken(make_jpeg, make_guideline):
    result = analyse(make_jpeg(blur_sigma=8), make_guideline()).result
    assert result["verdict"] == "retake"
    failed = [r["id"] for r in result["rules"] if r["status"] == "fail"]
    assert failed == ["quality-sharpness"]
    assert result["score"] == pytest.approx(0.8)


def test_a_dark_blurred_photo_is_retaken_for_its_darkness_alone(make_jpeg, make_guideline):
    # One reason to fix: the light. Edges lost in the dark say nothing about focus.
    result = analyse(make_jpeg(blur_sigma=8, ev=-5), make_guideline()).result
    assert result["verdict"] == "retake"
    statuses = {r["id"]: r["status"] for r in result["rules"]}
    assert statuses["quality-exposure"] == "fail"
    assert statuses["quality-sharpness"] == "skipped"
    assert [r["id"] for r in result["rules"] if r["retake"]] == ["quality-exposure"]


def test_unusable_upload_raises(make_guideline):
    with pytest.raises(IntakeRejected) as caught:
        analyse(b"not a photo at all", make_guideline())
    assert caught.value.code == "not_an_image"


def test_measures_are_taken_once_per_photo(monkeypatch, sharp_jpeg, make_guideline):
    calls = []
    real = photo_quality.measure

    def counting_measure(image):
        calls.append(1)
        return real(image)

    monkeypatch.setattr(photo_quality, "measure", counting_measure)
    analyse(sharp_jpeg, make_guideline())
    assert len(calls) == 1


def test_a_crashing_check_sends_the_photo_to_review(monkeypatch, sharp_jpeg, make_guideline):
    def broken(image):
        raise RuntimeError("model file missing")

    monkeypatch.setattr(photo_quality, "measure", broken)
    result = analyse(sharp_jpeg, make_guideline(("sharpness",))).result
    assert result["verdict"] == "review"
    assert result["rules"][0]["status"] == "error"
    assert "model file missing" in result["rules"][0]["evidence"][0]["text"]


def test_every_rule_type_of_the_guideline_has_a_check():
    from chalicelib.core.guideline import RULE_TYPES

    assert set(analysis.CHECKS) == set(RULE_TYPES)


def test_a_photo_of_something_else_is_a_retake_but_every_rule_still_reports(monkeypatch, sharp_jpeg):
    from chalicelib.core.guideline import parse_guideline
    from chalicelib.vision.verdict import RuleResult

    def wrong_subject(rule, context):
        return RuleResult(rule.id, rule.type_name, "fail", 0.1, None, 0.9, rule.message, weight=rule.weight, retake=True)

    monkeypatch.setitem(analysis.CHECKS, "reference_similarity", wrong_subject)
    guideline = parse_guideline(
        {
            "rules": [
                {
                    "id": "like-reference",
                    "type": "reference_similarity",
                    "message": "Not the window.",
                    "parameters": {"references": ["r.jpg"]},
                },
                {"id": "lit", "type": "lighting", "message": "Dark.", "parameters": {}},
            ]
        }
    )
    result = analyse(sharp_jpeg, guideline).result
    assert result["verdict"] == "retake"
    assert [r["status"] for r in result["rules"]] == ["fail", "pass"]
