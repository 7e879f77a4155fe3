"""Evidence and results keep the JSON they were always stored and served as, key for key."""

from __future__ import annotations

import json
import typing

import pytest

from chalicelib.vision.analysis import analyse
from chalicelib.vision.evidence import (
    KINDS,
    Box,
    ColourCells,
    Evidence,
    Lines,
    Note,
    Quad,
    ZoneBox,
    evidence_from_json,
    to_json,
)
from chalicelib.vision.verdict import AnalysisResult, RuleResult, Threshold

# Each kind as the checks wrote it before the classes existed (and as results hold it in storage).
STORED: list[tuple[dict[str, typing.Any], Evidence]] = [
    ({"kind": "box", "box": [412, 96, 256, 256], "label": "sharpest area"}, Box((412, 96, 256, 256), "sharpest area")),
    ({"kind": "zone", "box": [0, 0, 1024, 384]}, ZoneBox((0, 0, 1024, 384))),
    ({"kind": "zone", "box": [205, 154, 614, 460], "label": "window"}, ZoneBox((205, 154, 614, 460), "window")),
    (
        {"kind": "quad", "points": [[10.5, 20.0], [110.2, 22.1], [108.0, 160.4], [9.9, 158.0]], "label": "poster.png"},
        Quad(((10.5, 20.0), (110.2, 22.1), (108.0, 160.4), (9.9, 158.0)), "poster.png"),
    ),
    (
        {"kind": "lines", "points": [[0, 10, 600, 94], [5, 300, 610, 385]], "label": "dominant lines, 8.0 degrees off level"},
        Lines(((0, 10, 600, 94), (5, 300, 610, 385)), "dominant lines, 8.0 degrees off level"),
    ),
    (
        {
            "kind": "colour",
            "hex": "#12346E",
            "name": "navy",
            "share": 0.0612,
            "min_share": 0.01,
            "cells": [[0, 0, 64, 48], [64, 0, 64, 48]],
        },
        ColourCells("#12346E", "navy", 0.0612, 0.01, ((0, 0, 64, 48), (64, 0, 64, 48))),
    ),
    (
        {"kind": "colour", "hex": "#8E44AD", "name": "purple", "share": 0.0, "min_share": 0.02, "cells": []},
        ColourCells("#8E44AD", "purple", 0.0, 0.02, ()),
    ),
    (
        {"kind": "note", "text": "Window luminance 141.2, surroundings 88.0 (0-255): ratio 1.60."},
        Note("Window luminance 141.2, surroundings 88.0 (0-255): ratio 1.60."),
    ),
]


def test_every_kind_is_stored_here():
    assert set(KINDS.values()) == set(typing.get_args(Evidence))
    assert {type(item) for _, item in STORED} == set(typing.get_args(Evidence))


@pytest.mark.parametrize(("stored", "item"), STORED, ids=[f"{data['kind']}-{i}" for i, (data, _) in enumerate(STORED)])
def test_round_trip_through_the_stored_json(stored, item):
    assert evidence_from_json(stored) == item
    written = to_json(item)
    assert written == stored
    assert json.dumps(written) == json.dumps(stored)  # the same keys in the same order
    assert evidence_from_json(json.loads(json.dumps(written))) == item


def test_evidence_is_frozen_and_holds_tuples():
    quad = Quad([[1.0, 2.0], [3.0, 4.0]], "read from lists")
    assert quad.points == ((1.0, 2.0), (3.0, 4.0))
    with pytest.raises(AttributeError):
        quad.label = "changed"  # type: ignore[misc]
    assert hash(quad) == hash(Quad(((1.0, 2.0), (3.0, 4.0)), "read from lists"))


def test_a_kind_nobody_makes_is_refused():
    with pytest.raises(ValueError, match="heatmap"):
        evidence_from_json({"kind": "heatmap", "cells": []})
    with pytest.raises(ValueError):
        evidence_from_json({"box": [0, 0, 1, 1]})


STORED_RULE = {
    "id": "brand-colours",
    "type": "palette",
    "status": "uncertain",
    "value": 0.0112,
    "threshold": {"min": 0.01, "uncertain_margin": 0.005},
    "confidence": 0.12,
    "message": "The brand colours are not visible enough.",
    "evidence": [stored for stored, item in STORED if isinstance(item, (ZoneBox, ColourCells))],
    "weight": 1.0,
    "retake": False,
}


def test_rule_result_round_trip():
    rule = RuleResult.from_dict(STORED_RULE)
    assert rule.threshold == Threshold(min=0.01, uncertain_margin=0.005)
    assert all(isinstance(item, (ZoneBox, ColourCells)) for item in rule.evidence)
    assert json.dumps(rule.to_dict()) == json.dumps(STORED_RULE)


def test_an_analysis_result_is_stored_as_before(sharp_jpeg, make_guideline):
    outcome = analyse(sharp_jpeg, make_guideline())
    stored = outcome.result
    assert list(stored) == ["verdict", "score", "rules", "photo", "warnings", "timings_ms"]
    assert list(stored["timings_ms"]) == ["intake", "rules", "overlay", "total"]
    assert list(stored["rules"][0]) == [
        "id",
        "type",
        "status",
        "value",
        "threshold",
        "confidence",
        "message",
        "evidence",
        "weight",
        "retake",
    ]
    assert {item["kind"] for rule in stored["rules"] for item in rule["evidence"]} >= {"box", "lines"}
    assert isinstance(outcome.outcome, AnalysisResult)
    # Read back from storage, with what the processor adds, it is the same result.
    read_back = AnalysisResult.from_dict(json.loads(json.dumps({**stored, "guideline_version": 3})))
    assert read_back == outcome.outcome
    assert json.dumps(read_back.to_dict()) == json.dumps(stored)
