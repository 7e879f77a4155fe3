"""The overlay draws every kind of evidence where the check found it, from the typed result or
from a stored result's JSON alike."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from chalicelib.vision import overlay
from chalicelib.vision.evidence import Box, ColourCells, Evidence, Lines, Note, Quad, ZoneBox
from chalicelib.vision.verdict import AnalysisResult, PhotoFacts, RuleResult, Timings

RED = overlay.STATUS_COLOURS["fail"]
GREY = (128, 128, 128)
WIDTH = 3  # line width, in the canvas' pixels


def drawn(item: Evidence, colour=RED) -> tuple[np.ndarray, tuple[float, float] | None]:
    """``item`` drawn at scale 1 on a grey 200x150 canvas: its pixels and where its tag goes."""
    canvas = Image.new("RGB", (200, 150), GREY)
    anchor = overlay._draw_evidence(ImageDraw.Draw(canvas), item, colour, 1.0, WIDTH)
    return np.asarray(canvas), anchor


def painted(pixels: np.ndarray, colour) -> np.ndarray:
    """Where the canvas is exactly ``colour``: a (y, x) mask."""
    return (pixels == colour).all(axis=2)


def _rule(status: str, evidence: tuple[Evidence, ...], message: str = "Put the poster up.") -> RuleResult:
    return RuleResult("window-lit", "lighting", status, 0.8, None, 0.9, message, evidence)  # type: ignore[arg-type]


def test_a_box_is_outlined_and_tagged_at_its_corner():
    pixels, anchor = drawn(Box((20, 30, 100, 60), "sharpest area"))
    assert anchor == (20, 30)
    red = painted(pixels, RED)
    assert red[30, 20:121].all() and red[30:91, 20].all()  # top and left edges
    assert not red[60, 70]  # the inside is left as it was


def test_a_zone_is_dashed_and_not_tagged():
    pixels, anchor = drawn(ZoneBox((20, 30, 100, 60)))
    assert anchor is None
    top = painted(pixels, RED)[30, 20:121]
    assert 0.2 < top.mean() < 0.8  # dashes, not a solid line


def test_a_quad_is_closed_and_tagged_at_its_top_left_corner():
    pixels, anchor = drawn(Quad(((30.0, 20.0), (150.0, 30.0), (140.0, 120.0), (40.0, 110.0)), "poster.png"))
    assert anchor == (30.0, 20.0)
    red = painted(pixels, RED)
    assert red[20, 30] and red[30, 150] and red[120, 140] and red[110, 40]
    assert red[65, 35]  # the closing side, back to the first point


def test_lines_are_each_drawn_and_tagged_at_the_first():
    pixels, anchor = drawn(Lines(((10, 20, 190, 20), (10, 100, 190, 130)), "dominant lines"))
    assert anchor == (10, 20)
    red = painted(pixels, RED)
    assert red[20, 10:191].all() and red[100, 10] and red[130, 190]


def test_colour_cells_are_outlined_in_their_own_colour():
    pixels, anchor = drawn(ColourCells("#12346E", "navy", 0.06, 0.01, ((40, 50, 30, 20), (70, 50, 30, 20))))
    assert anchor == (40, 50)
    navy = painted(pixels, (0x12, 0x34, 0x6E))
    assert navy[50, 40:101].all() and not painted(pixels, RED).any()


def test_colour_without_cells_and_a_note_draw_nothing():
    for item in (ColourCells("#8E44AD", "purple", 0.0, 0.02, ()), Note("not found")):
        pixels, anchor = drawn(item)
        assert anchor is None and painted(pixels, GREY).all()


EVERY_KIND: tuple[Evidence, ...] = (
    ZoneBox((0, 0, 320, 240), "window"),
    Box((40, 30, 80, 60), "person 0.91"),
    Quad(((200.0, 20.0), (300.0, 25.0), (295.0, 140.0), (205.0, 135.0)), "poster.png"),
    Lines(((10, 200, 310, 210),), "dominant lines, 1.9 degrees off level"),
    ColourCells("#E64632", "red", 0.004, 0.01, ((160, 160, 40, 30),)),
    Note("Similarity to the reference photos: reference.jpg 0.612."),
)


def _result() -> AnalysisResult:
    rules = tuple(_rule("fail", (item,)) for item in EVERY_KIND) + (_rule("pass", EVERY_KIND),)
    return AnalysisResult("fail", 0.14, rules, PhotoFacts("jpeg", 4032, 3024, 12.19), (), Timings(12.0, {}))


@pytest.fixture(scope="module")
def working() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)


def test_a_result_with_every_kind_renders(working):
    picture = Image.open(io.BytesIO(overlay.render(working, _result())))
    assert picture.format == "JPEG" and picture.width == overlay.OUTPUT_WIDTH
    # The photo only, in its proportions: the legend is the page's, not drawn below the photo.
    assert picture.height == overlay.OUTPUT_WIDTH * 240 / 320


def test_only_numbered_marks_are_drawn_no_legend(working):
    """Nothing but the marks: a rule without drawable evidence leaves the photo as it was."""
    plain = np.full((240, 320, 3), 128, np.uint8)
    only_a_note = AnalysisResult(
        "fail", 0.0, (_rule("fail", (Note("no lights"),)),), PhotoFacts("jpeg", 320, 240, 0.08), (), Timings(1.0, {})
    )
    picture = np.asarray(Image.open(io.BytesIO(overlay.render(plain, only_a_note))).convert("L")).astype(int)
    assert picture.shape == (960, 1280) and abs(picture - 128).max() <= 3  # JPEG noise only


def test_a_stored_result_renders_the_same_picture(working):
    result = _result()
    stored = result.to_dict()
    assert overlay.render(working, stored) == overlay.render(working, result)
    # Only the verdict, the score and the rules are read; evidence of an unknown kind is skipped.
    stored["rules"][0]["evidence"].append({"kind": "heatmap", "cells": []})
    partial = {key: stored[key] for key in ("verdict", "score", "rules")}
    assert overlay.render(working, partial) == overlay.render(working, result)
