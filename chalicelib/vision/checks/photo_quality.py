"""Photo quality: is the photo good enough to judge the window at all?

``measure`` computes every quality metric once per photo; ``evaluate`` judges one
photo_quality rule (one metric against its thresholds). All pixel metrics are taken on a copy of
the working image scaled to a fixed long side, so a value means the same whether the store
uploaded 4 MP or 48 MP.

- sharpness: how steep the photo's sharpest edges are, 0..100, where 100 is an ideal one-pixel
  step (after the anti-alias filter of the downscale, a sharp phone photo scores 30-60; fine
  texture and thin lines can score more). Per 64 px tile, the energy of the second derivative is
  divided by that of the first: for an edge blurred by a Gaussian of width s (analysis pixels)
  this ratio is 1/(2 s^2), whatever the edge's contrast, so the score is 12.5 / s^2 and does not
  fall for a dark or low-contrast photo. A camera's blur (focus, shake) spreads over the whole
  frame, while a scene may hold soft things (a print behind the glass, a cloth) beside sharp ones:
  so the score is that of the sharpest few tiles with real edges (the 95th percentile), not of
  the most detailed ones. Sensor noise, measured on the flattest tenth of the tiles, is taken out
  of both energies, and a tile counts as having edges only well above it; so a noisy night shot
  is not mistaken for a sharp one. Only as much of those tiles' energy as is as fine as noise
  counts as noise: in a photo framed tight on texture (grass, knitwear) nothing is flat, and
  texture taken for noise would leave no tile "with edges" (a sharp photo scored 0). It is taken in the weaker of the horizontal and vertical
  directions, which is what catches motion blur (a shake smears edges across its direction only).
- exposure: median luminance, 0..255: where the middle of the photo's tones lies, unmoved by a
  bright poster, glare or a black shop front that a mean follows.
- clipping: the larger of the shares of pixels blown (>= 250) and crushed (<= 5), 0..1: detail
  lost at one end of the range.
- resolution: megapixels of the upload (after EXIF orientation).
- tilt: degrees between the dominant straight lines (Canny + probabilistic Hough, weighted by
  length, within 20 degrees of horizontal or vertical) and the true horizontal/vertical.

The sharpness rule defers to exposure: on a photo the default exposure bounds fail (or hold
uncertain, when no edge stood out of the noise at all), a sharpness that does not pass is
reported as not judged ("skipped"): edges lost in the dark or in blown highlights say nothing
about focus, and the store is told the one reason to fix (too dark, too bright), not that the
photo is blurry too. In the uncertain band the score, which does not depend on contrast, is
still judged: a dim but blurred photo is called blurred.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from chalicelib.core.guideline import QUALITY_DEFAULTS, PhotoQualityRule
from chalicelib.vision.context import PhotoContext
from chalicelib.vision.evidence import Box, Evidence, Lines, Note
from chalicelib.vision.intake import IntakeResult
from chalicelib.vision.verdict import RuleResult, Threshold

ANALYSIS_LONG_SIDE = 1024  # sharpness, exposure and clipping are measured at this size
LINES_LONG_SIDE = 512  # tilt within ~0.15 degree; Hough time grows with the number of edge pixels
TILE = 64  # pixels of the analysis image
SHARPEST_QUANTILE = 0.95  # the sharpest twentieth of the tiles with edges decides the sharpness
NOISE_SHARE = 0.10  # the flattest tenth of the tiles measures the sensor noise
# A phone photo's sensor noise at the analysis scale stays under about 8 grey levels (first
# derivative energy 0.5 * 8^2): more "noise" than that in the flattest tiles is texture (grass,
# gravel, knitwear filling the frame), which must not be subtracted as noise.
MAX_NOISE_ENERGY = 32.0
# Mean squared gradient ((grey levels per pixel)^2) above the noise that counts as an edge, and
# how many times the noise energy it must be at least.
# Noise is the finest detail a photo has: white noise's second-derivative energy is 12 times its
# first, 7-9 times after the analysis downscale, and a phone's demosaiced, lightly denoised noise
# somewhat less; a texture's is a fraction of its first (0.2-0.8 measured on grass and knitwear).
# A flat tile's energy counts as noise up to its second derivative's energy over this.
NOISE_FINENESS = 4.0
MIN_EDGE_ENERGY = 2.0
EDGE_OVER_NOISE = 6.0
MIN_EDGE_TILES = 3
BLOWN, CRUSHED = 250, 5
AXIS_TOLERANCE_DEG = 20.0
DOMINANT_SPREAD_DEG = 1.5  # lines this close to the dominant angle are drawn as evidence
MAX_EVIDENCE_LINES = 16

_FIRST_DERIVATIVE = np.array([[-0.5, 0.0, 0.5]], np.float32)
_SECOND_DERIVATIVE = np.array([[1.0, -2.0, 1.0]], np.float32)
# A sampled ideal step has a second/first derivative energy ratio of 4: that scores 100.
_SHARPNESS_SCALE = 25.0

_PASS_MESSAGES = {
    "sharpness": "The photo is sharp.",
    "exposure": "The photo is neither too dark nor too bright.",
    "clipping": "Bright and dark areas keep their detail.",
    "resolution": "The photo has enough pixels ({value:.1f} MP).",
    "tilt": "The photo is level ({value:.1f} degrees off).",
}


@dataclass(frozen=True)
class QualityMeasures:
    sharpness: float
    exposure: float
    clipping: float
    resolution: float
    tilt: float
    # Evidence, in working-image pixels.
    sharpest_box: tuple[int, int, int, int] | None  # (x, y, w, h); None when nothing is detailed
    dominant_lines: tuple[tuple[int, ...], ...]  # (x1, y1, x2, y2) each
    lines_found: int  # near-horizontal or near-vertical segments the tilt is based on

    def value(self, check: str) -> float:
        return float(getattr(self, check))


def _scaled_to(gray: np.ndarray, long_side: int) -> np.ndarray:
    """Downscale with a Gaussian anti-alias filter matched to the reduction, then bilinear.

    The same chain for any reduction factor keeps the sharpness score nearly independent of the
    upload's size (INTER_AREA treats integer and fractional factors differently, and costs 3x
    more for the usual 2016 -> 1024).
    """
    height, width = gray.shape
    reduction = max(height, width) / long_side
    if reduction <= 1:
        return gray  # never upscale: a small photo is judged by the resolution check
    sigma = 0.5 * (reduction**2 - 1) ** 0.5
    taps = 2 * math.ceil(2 * sigma) + 1  # +-2 sigma: 5 taps for the usual reduction of 2
    smoothed = cv2.GaussianBlur(gray, (taps, taps), sigma) if sigma > 0.1 else gray
    size = (max(1, round(width / reduction)), max(1, round(height / reduction)))
    return cv2.resize(smoothed, size, interpolation=cv2.INTER_LINEAR)


def _tile_means(values: np.ndarray) -> np.ndarray:
    rows, cols = values.shape[0] // TILE, values.shape[1] // TILE
    # An exact integer-factor area reduction is the mean of each tile (faster than numpy's).
    return cv2.resize(values[: rows * TILE, : cols * TILE], (cols, rows), interpolation=cv2.INTER_AREA)


def _edge_energies(gray: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Per tile: mean squared first and second derivative along one axis (1: x, 0: y)."""
    first, second = (_FIRST_DERIVATIVE, _SECOND_DERIVATIVE) if axis == 1 else (_FIRST_DERIVATIVE.T, _SECOND_DERIVATIVE.T)
    d1 = cv2.filter2D(gray, cv2.CV_32F, first, borderType=cv2.BORDER_REPLICATE)
    d2 = cv2.filter2D(gray, cv2.CV_32F, second, borderType=cv2.BORDER_REPLICATE)
    return _tile_means(d1 * d1), _tile_means(d2 * d2)


def _sharpness(gray: np.ndarray) -> tuple[float, tuple[int, int] | None]:
    """Score 0..100 and the (row, col) of the sharpest tile with edges, or (0, None)."""
    if min(gray.shape) < TILE:
        return 0.0, None  # a sliver (extreme panorama) has no whole tile to judge
    gray = gray.astype(np.float32)
    scores, best = [], None
    for axis in (1, 0):
        first, second = _edge_energies(gray, axis)
        # Sensor noise adds about the same energy to every tile, and far more to the second
        # derivative than to the first (12 times for white noise): measured on the flattest
        # tiles, it is taken out.
        noise_first, noise_second = np.quantile(first, NOISE_SHARE), np.quantile(second, NOISE_SHARE)
        # Where nothing in the frame is flat (framed tight on knitwear, grass, a crowded shelf),
        # the flattest tiles are texture; only the part of their energy as fine as noise is noise.
        noise_first = min(noise_first, noise_second / NOISE_FINENESS)
        if noise_first > MAX_NOISE_ENERGY:  # texture, not noise: keep the ratio, cap the level
            noise_second *= MAX_NOISE_ENERGY / noise_first
            noise_first = MAX_NOISE_ENERGY
        edges = first - noise_first
        fine = np.clip(second - noise_second, 0.0, None)
        has_edges = edges >= max(MIN_EDGE_ENERGY, EDGE_OVER_NOISE * noise_first)
        if np.count_nonzero(has_edges) < MIN_EDGE_TILES:
            return 0.0, None
        ratio = np.where(has_edges, fine / np.maximum(edges, 1e-6), 0.0)
        scores.append(float(np.quantile(ratio[has_edges], SHARPEST_QUANTILE)))
        if best is None or scores[-1] <= min(scores[:-1]):
            best = ratio
    assert best is not None  # the first direction measured set it
    row, col = np.unravel_index(int(np.argmax(best)), best.shape)
    return min(100.0, _SHARPNESS_SCALE * min(scores)), (int(row), int(col))


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _tilt(gray: np.ndarray) -> tuple[float, np.ndarray, int]:
    """Signed tilt in degrees, the dominant segments (in ``gray`` pixels), and the segment count."""
    edges = cv2.Canny(gray, 50, 150, L2gradient=True)
    long_side = max(gray.shape)
    found = cv2.HoughLinesP(
        edges, 1, np.pi / 180, threshold=round(0.06 * long_side), minLineLength=0.08 * long_side, maxLineGap=4
    )
    if found is None:
        return 0.0, np.empty((0, 4)), 0
    segments = found.reshape(-1, 4).astype(np.float64)  # OpenCV 4 gives (N, 1, 4), 5 gives (N, 4)
    dx, dy = segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]
    angle = (np.degrees(np.arctan2(dy, dx)) + 90.0) % 180.0 - 90.0  # -90..90
    # Off horizontal for flat lines, off vertical for steep ones; a camera rotation moves both
    # the same way, so they vote together.
    deviation = np.where(np.abs(angle) <= 45.0, angle, angle - 90.0 * np.sign(angle))
    near_axis = np.abs(deviation) <= AXIS_TOLERANCE_DEG
    if not near_axis.any():
        return 0.0, np.empty((0, 4)), 0
    deviation, segments, length = deviation[near_axis], segments[near_axis], np.hypot(dx, dy)[near_axis]
    tilt = _weighted_median(deviation, length)
    dominant = np.abs(deviation - tilt) <= DOMINANT_SPREAD_DEG
    longest_first = np.argsort(-length[dominant])[:MAX_EVIDENCE_LINES]
    return tilt, segments[dominant][longest_first], int(near_axis.sum())


def measure(intake_result: IntakeResult) -> QualityMeasures:
    """Every photo-quality metric of one photo, computed once and shared by all its rules."""
    working = intake_result.working
    gray = _scaled_to(cv2.cvtColor(working, cv2.COLOR_RGB2GRAY), ANALYSIS_LONG_SIDE)
    to_working = max(working.shape[:2]) / max(gray.shape)

    sharpness, tile = _sharpness(gray)
    box = None
    if tile is not None:
        side = round(TILE * to_working)
        box = (round(tile[1] * TILE * to_working), round(tile[0] * TILE * to_working), side, side)

    histogram = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel() / gray.size
    blown, crushed = float(histogram[BLOWN:].sum()), float(histogram[: CRUSHED + 1].sum())
    median = int(np.searchsorted(np.cumsum(histogram), 0.5))

    line_gray = _scaled_to(gray, LINES_LONG_SIDE)
    tilt, segments, lines_found = _tilt(line_gray)
    lines_to_working = max(working.shape[:2]) / max(line_gray.shape)
    dominant = tuple(tuple(int(round(v * lines_to_working)) for v in segment) for segment in segments)

    width, height = intake_result.original_size
    return QualityMeasures(
        sharpness=sharpness,
        exposure=float(median),
        clipping=max(blown, crushed),
        resolution=width * height / 1e6,
        tilt=abs(tilt),
        sharpest_box=box,
        dominant_lines=dominant,
        lines_found=lines_found,
    )


def _evidence(check: str, measures: QualityMeasures) -> list[Evidence]:
    if check == "sharpness":
        if measures.sharpest_box is None:
            return [Note("No detailed area found: the photo shows too little to judge sharpness.")]
        return [Box(measures.sharpest_box, "sharpest area")]
    if check == "tilt":
        if not measures.dominant_lines:
            return [Note("No straight horizontal or vertical lines found: tilt taken as 0.")]
        return [Lines(measures.dominant_lines, f"dominant lines, {measures.tilt:.1f} degrees off level")]
    return []


_DECIMALS = {"sharpness": 1, "exposure": 1, "clipping": 4, "resolution": 2, "tilt": 2}


def evaluate(rule: PhotoQualityRule, context: PhotoContext) -> RuleResult:
    """Judge one photo_quality rule; the photo is measured once for all of them."""
    return judge(rule, context.shared("photo_quality", lambda: measure(context.image)))


def _exposure_problem(measures: QualityMeasures) -> str | None:
    """ "dark" or "bright" when the photo's exposure, judged by the default bounds, explains a
    sharpness that does not pass: it fails them, or it is in their uncertain band and no edge
    stood out of the noise at all. Else None."""
    bounds = QUALITY_DEFAULTS["exposure"]
    exposure = round(measures.exposure, _DECIMALS["exposure"])
    status, _ = Threshold(min=bounds["min"], max=bounds["max"], uncertain_margin=bounds["uncertain_margin"]).judge(exposure)
    if status == "pass" or (status == "uncertain" and measures.sharpest_box is not None):
        return None
    return "dark" if exposure < (bounds["min"] + bounds["max"]) / 2 else "bright"


def judge(rule: PhotoQualityRule, measures: QualityMeasures) -> RuleResult:
    """Judge one photo_quality rule against the photo's measures; a failure means "retake"."""
    params = rule.parameters
    threshold = Threshold(min=params.min, max=params.max, uncertain_margin=params.uncertain_margin or 0.0)
    # Judge the value as stored, so the number a reviewer sees agrees with the status.
    value = round(measures.value(params.check), _DECIMALS[params.check])
    status, confidence = threshold.judge(value)
    evidence = _evidence(params.check, measures)
    exposure_problem = _exposure_problem(measures) if params.check == "sharpness" else None
    if exposure_problem and status != "pass":
        # Edges lost in the dark or in blown highlights say nothing about focus: one reason to
        # retake (the exposure rule's), not a second, wrong one.
        note = f"Not judged: the photo is too {exposure_problem} to judge its sharpness."
        return RuleResult.judged(rule, "skipped", value, threshold, 0.0, [Note(note)], passed=note, message=note)
    return RuleResult.judged(
        rule,
        status,
        value,
        threshold,
        confidence,
        evidence,
        passed=_PASS_MESSAGES[params.check].format(value=value),
        retake=status == "fail",
    )
