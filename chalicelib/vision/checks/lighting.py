"""Lighting: is the window lit? Its mean luminance against the rest of the photo's.

The window is the rule's zone (by default the centre box, 0.2..0.8 of each side); the
surroundings are everything else. Luminance is Rec. 709 luma of the gamma-encoded pixels, 0..255
(the scale photo-quality exposure uses), on a copy shrunk to a long side of 256: means need no
detail. The rule passes when window / surroundings >= min_ratio and the window's own luminance is
at least min_luminance (a window as dark as a dark street is not lit, whatever the ratio).
"""

from __future__ import annotations

import cv2
import numpy as np

from chalicelib.core.guideline import NAMED_ZONES, LightingRule, Zone
from chalicelib.vision.context import PhotoContext
from chalicelib.vision.evidence import Evidence, Note, ZoneBox
from chalicelib.vision.verdict import RuleResult, Threshold

ANALYSIS_LONG_SIDE = 256
DEFAULT_WINDOW = Zone(name="centre", box=NAMED_ZONES["centre"])
LUMINANCE_MARGIN_SHARE = 0.1  # uncertain band of min_luminance, as a share of it
_REC709 = np.array([0.2126, 0.7152, 0.0722], np.float32)
_SEVERITY = {"pass": 0, "uncertain": 1, "fail": 2}


def luminances(rgb: np.ndarray, window: tuple[int, int, int, int]) -> tuple[float, float | None]:
    """Mean luma of the window box and of the rest of the image (None when nothing is left)."""
    height, width = rgb.shape[:2]
    factor = min(1.0, ANALYSIS_LONG_SIDE / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    # Point sampling (bilinear) is enough for a mean, and ~100x cheaper than an area reduction.
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
    luma = small.astype(np.float32) @ _REC709
    x, y, w, h = (round(v * factor) for v in window)
    inside = np.zeros(luma.shape, bool)
    inside[y : max(y + 1, y + h), x : max(x + 1, x + w)] = True
    outside = ~inside
    window_mean = float(luma[inside].mean())
    # A sliver of surroundings (a zone covering almost the photo) says nothing about the street.
    surround_mean = float(luma[outside].mean()) if outside.mean() >= 0.05 else None
    return window_mean, surround_mean


def evaluate(rule: LightingRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    box = context.zone_pixels(rule.zone or DEFAULT_WINDOW)
    window, surroundings = luminances(context.rgb, box)
    luminance_threshold = Threshold(min=params.min_luminance, uncertain_margin=params.min_luminance * LUMINANCE_MARGIN_SHARE)
    luminance_status, luminance_confidence = luminance_threshold.judge(round(window, 1))

    threshold = Threshold(min=params.min_ratio, uncertain_margin=params.uncertain_margin)
    if surroundings is None:
        value, (status, confidence) = None, (luminance_status, luminance_confidence)
        note = f"Window luminance {window:.1f}; the zone covers the whole photo, so only its own luminance is judged."
    else:
        # +1 keeps the ratio finite for a black street; it is negligible at any usable exposure.
        value = round((window + 1.0) / (surroundings + 1.0), 3)
        ratio_status, ratio_confidence = threshold.judge(value)
        # The worse of the two judgements decides (on a tie, the less confident one).
        judgements = [(ratio_status, ratio_confidence), (luminance_status, luminance_confidence)]
        status, confidence = max(judgements, key=lambda judged: (_SEVERITY[judged[0]], -judged[1]))
        note = f"Window luminance {window:.1f}, surroundings {surroundings:.1f} (0-255): ratio {value:.2f}."
    evidence: list[Evidence] = [ZoneBox(box, "window"), Note(note)]
    return RuleResult.judged(rule, status, value, threshold, confidence, evidence, passed="The window is lit.")
