"""Reference similarity: is the window dressed like the campaign's reference photo(s)?

A store re-shoots the reference window by hand: a few degrees of rotation, a step closer or to
the side, another exposure, another phone's noise. A global embedding moves with all of that
(the same window re-shot 3 degrees rotated or 4 % closer scored 0.80-0.90, no better than another
window) and hardly at all when the mannequins and the poster trade places. So the photo is first
registered onto the reference, then compared where things are:

1. both are reduced to grey at a layout scale (long side LAYOUT_LONG_SIDE): what is where, not
   fine detail, noise or JPEG;
2. the photo is aligned on the reference by a homography (ECC, coarse to fine from the identity:
   enough for a hand-held re-shoot; rejected when implausible), and its brightness and contrast
   are matched to the reference's where both see the window;
3. over a grid of cells (GRID, about 24 px each), each cell's structure agreement (the contrast
   and structure terms of SSIM: 1 for the same pattern at any exposure, about 0 for unrelated
   ones; two flat cells agree) is taken; a cell agrees at CELL_AGREEMENT or more.

The value is the share of the window's cells (the rule's zone's, for a zoned rule) that agree
with the best-matching reference, 0..1: a re-shot of the same window scores about 1, the same
window dressed otherwise about 0.5-0.75 (the cells where things moved), another window less.
``wrong_subject_below`` is judged on the embedding cosine (chalicelib.vision.embedding): under
it the photo is not of a shop window at all (the floor, a selfie, a cat), a retake.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from chalicelib.core.guideline import SimilarityRule
from chalicelib.vision import embedding
from chalicelib.vision.context import FrozenCache, PhotoContext, digest
from chalicelib.vision.evidence import Evidence, Note, Quad, ZoneBox
from chalicelib.vision.intake import intake
from chalicelib.vision.verdict import RuleResult, Threshold

PASS_MESSAGE = "The window looks like the reference photo."
WRONG_SUBJECT_MESSAGE = (
    "This photo does not seem to show the shop window. Please take a photo of the whole window from the street."
)

LAYOUT_LONG_SIDE = 192
GRID = (8, 6)  # cells across the long side, the short side
CELL_AGREEMENT = 0.7
# SSIM's stabiliser for 8-bit images, (0.03 * 255)^2: below this variance a cell counts as flat.
_FLAT = (0.03 * 255) ** 2
# ECC: two ways down the pyramid (shares of the layout size, and the motion fitted there); the
# one whose final fit correlates better wins. From the identity, a homography alone strayed into
# a wrong optimum on 3 of 81 re-shot development photos, and an affine fit first (which brings
# a re-shoot close before the homography's two extra degrees of freedom are let loose) on a 15 %
# zoom of a synthetic window; together, on none.
_ECC_STRATEGIES = (
    ((0.25, cv2.MOTION_AFFINE), (0.5, cv2.MOTION_AFFINE), (1.0, cv2.MOTION_HOMOGRAPHY)),
    ((0.5, cv2.MOTION_HOMOGRAPHY), (1.0, cv2.MOTION_HOMOGRAPHY)),
)
_ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-4)
# A hand-held re-shoot moves no corner of the frame by more than this share of its long side.
MAX_CORNER_SHIFT = 0.25
MAX_EVIDENCE_CELLS = 8
_reference_layouts = FrozenCache(64)


@dataclass(frozen=True)
class LayoutMatch:
    share: float  # of the judged cells that agree, 0..1
    aligned: bool  # False: the registration failed and the photo was compared as it is
    warp: np.ndarray  # reference layout pixels -> photo layout pixels
    disagreeing: tuple[tuple[int, int], ...]  # (row, col) of the cells that do not agree
    cells: int  # cells judged


def _layout_size(shape: tuple[int, ...]) -> tuple[int, int]:
    height, width = shape[:2]
    factor = LAYOUT_LONG_SIDE / max(height, width)
    return max(8, round(width * factor)), max(8, round(height * factor))


def _layout(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Grey at ``size``, as a true area average: bilinear to the nearest whole multiple of the size
    (a step of a few per cent, which aliases nothing), then an exact k:1 area reduction (fast)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    factor = max(1, min(grey.shape[1] // size[0], grey.shape[0] // size[1]))
    if grey.shape[1] != size[0] * factor or grey.shape[0] != size[1] * factor:
        grey = cv2.resize(grey, (size[0] * factor, size[1] * factor), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def reference_layout(data: bytes) -> np.ndarray:
    """A reference photo (encoded bytes) at the layout scale, cached per process by content."""

    def compute() -> np.ndarray:
        working = intake(data).working
        return _layout(working, _layout_size(working.shape))

    return _reference_layouts.get(digest(data), compute)


def _plausible(warp: np.ndarray, size: tuple[int, int]) -> bool:
    width, height = size
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32).reshape(-1, 1, 2)
    moved = cv2.perspectiveTransform(corners, warp.astype(np.float64))
    return bool(np.all(np.isfinite(moved)) and np.abs(moved - corners).max() <= MAX_CORNER_SHIFT * max(size))


def _descend(photo: np.ndarray, reference: np.ndarray, levels) -> tuple[np.ndarray, float] | None:
    """One way down the pyramid: the warp and its final correlation, or None without convergence."""
    warp = np.eye(3, dtype=np.float32)
    height, width = reference.shape
    previous, correlation = None, -1.0
    for share, motion in levels:
        size = (max(8, round(width * share)), max(8, round(height * share)))
        if previous is not None:  # the last level's warp, in this level's pixels
            scale = np.diag([share / previous, share / previous, 1.0]).astype(np.float32)
            warp = scale @ warp @ np.linalg.inv(scale)
        level_ref = cv2.resize(reference, size, interpolation=cv2.INTER_AREA)
        level_photo = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
        try:
            if motion == cv2.MOTION_AFFINE:
                correlation, affine = cv2.findTransformECC(
                    level_ref, level_photo, warp[:2].copy(), motion, _ECC_CRITERIA, None, 5
                )
                warp = np.vstack([affine, [0.0, 0.0, 1.0]]).astype(np.float32)
            else:
                correlation, warp = cv2.findTransformECC(level_ref, level_photo, warp, motion, _ECC_CRITERIA, None, 5)
        except cv2.error:  # no convergence: nothing in common to align on
            return None
        previous = share
    return warp, float(correlation)


def _align(photo: np.ndarray, reference: np.ndarray) -> np.ndarray | None:
    """Homography from reference to photo layout pixels, or None when ECC finds none plausible."""
    size = (reference.shape[1], reference.shape[0])
    fits = [fit for levels in _ECC_STRATEGIES if (fit := _descend(photo, reference, levels)) and _plausible(fit[0], size)]
    return max(fits, key=lambda fit: fit[1])[0] if fits else None


def _cell_slices(shape: tuple[int, int]) -> list[tuple[int, int, slice, slice]]:
    height, width = shape
    cols, rows = GRID if width >= height else GRID[::-1]
    return [
        (row, col, slice(row * height // rows, (row + 1) * height // rows), slice(col * width // cols, (col + 1) * width // cols))
        for row in range(rows)
        for col in range(cols)
    ]


def compare(
    photo_rgb: np.ndarray, reference: np.ndarray, zone_box: tuple[float, float, float, float] | None = None
) -> LayoutMatch:
    """How much of the reference's layout the photo shows where the reference shows it.

    ``zone_box`` (left, top, right, bottom shares) limits the judged cells to those whose centre
    lies in it.
    """
    size = (reference.shape[1], reference.shape[0])
    photo = _layout(photo_rgb, size)  # squashed to the reference's frame; the warp does the rest
    warp = _align(photo, reference)
    aligned = warp is not None
    if warp is None:
        warp = np.eye(3, dtype=np.float32)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    seen = cv2.warpPerspective(photo, warp, size, flags=flags)
    inside = cv2.warpPerspective(np.ones_like(photo), warp, size, flags=flags) > 0.99
    if inside.mean() < 0.5:
        return LayoutMatch(0.0, aligned, warp, (), 0)
    # The exposure and contrast of a re-shoot are not the window's: match them to the reference.
    seen = (seen - seen[inside].mean()) * (reference[inside].std() / max(float(seen[inside].std()), 1e-3)) + reference[
        inside
    ].mean()

    agree, disagreeing = 0, []
    for row, col, rows, cols in _cell_slices(reference.shape):
        if zone_box is not None:
            left, top, right, bottom = zone_box
            cy, cx = (rows.start + rows.stop) / 2 / size[1], (cols.start + cols.stop) / 2 / size[0]
            if not (left <= cx <= right and top <= cy <= bottom):
                continue
        mask = inside[rows, cols]
        if mask.mean() < 0.5:
            continue  # mostly outside the photo: not judged
        a, b = seen[rows, cols][mask], reference[rows, cols][mask]
        a, b = a - a.mean(), b - b.mean()
        structure = (2.0 * float((a * b).mean()) + _FLAT) / (float((a * a).mean()) + float((b * b).mean()) + _FLAT)
        if structure >= CELL_AGREEMENT:
            agree += 1
        else:
            disagreeing.append((row, col))
    judged = agree + len(disagreeing)
    return LayoutMatch(agree / judged if judged else 0.0, aligned, warp, tuple(disagreeing), judged)


def _cell_quads(match: LayoutMatch, reference_shape: tuple[int, int], working_size: tuple[int, int]) -> list[Quad]:
    """The disagreeing cells, drawn where they fall in the photo (working pixels)."""
    height, width = reference_shape
    to_working = np.diag([working_size[0] / width, working_size[1] / height, 1.0])
    slices = {(row, col): (rows, cols) for row, col, rows, cols in _cell_slices(reference_shape)}
    quads = []
    for cell in match.disagreeing[:MAX_EVIDENCE_CELLS]:
        rows, cols = slices[cell]
        corners = np.array(
            [[cols.start, rows.start], [cols.stop, rows.start], [cols.stop, rows.stop], [cols.start, rows.stop]], np.float32
        )
        points = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), to_working @ match.warp.astype(np.float64)).reshape(-1, 2)
        quads.append(Quad(tuple((round(float(x)), round(float(y))) for x, y in points), label="not as in the reference"))
    return quads


def evaluate(rule: SimilarityRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    zone_box = rule.zone.box if rule.zone is not None else None
    matches: dict[str, LayoutMatch] = {}
    layouts: dict[str, np.ndarray] = {}
    appearance: dict[str, float] = {}
    # Whether the photo shows a window at all is a question about the whole photo, zone or not.
    photo = embedding.photo_embedding(context)
    for name in params.references:
        data = context.pack.read(name)
        layouts[name] = reference_layout(data)
        layout = layouts[name]
        matches[name] = context.shared(f"similarity:{name}:{zone_box}", functools.partial(compare, context.rgb, layout, zone_box))
        appearance[name] = embedding.similarity(photo, embedding.reference_embedding(context.models, data))
    best_name = max(matches, key=lambda name: (matches[name].share, appearance[name]))
    best = matches[best_name]
    value = round(best.share, 3)
    threshold = Threshold(min=params.min_similarity, uncertain_margin=params.uncertain_margin)
    status, confidence = threshold.judge(value)
    wrong_subject = max(appearance.values()) < params.wrong_subject_below
    if wrong_subject:
        status = "fail"
    listed = ", ".join(
        f"{name} {matches[name].share:.2f} of {matches[name].cells} cells{'' if matches[name].aligned else ' (not aligned)'}"
        for name in sorted(matches, key=lambda n: -matches[n].share)
    )
    looks = ", ".join(f"{name} {score:.3f}" for name, score in sorted(appearance.items(), key=lambda kv: -kv[1]))
    evidence: list[Evidence] = [
        Note(f"Share of the window laid out as in the reference photos (after aligning the photo on each): {listed}."),
        Note(f"Appearance (embedding cosine): {looks}."),
    ]
    if not wrong_subject:
        evidence.extend(_cell_quads(best, layouts[best_name].shape, context.size))
    if rule.zone is not None:
        evidence.insert(0, ZoneBox(context.zone_pixels(rule.zone)))
    return RuleResult.judged(
        rule,
        status,
        value,
        threshold,
        confidence,
        evidence,
        passed=PASS_MESSAGE,
        message=WRONG_SUBJECT_MESSAGE if wrong_subject else None,
        retake=wrong_subject,
    )
