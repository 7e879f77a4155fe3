"""Artwork present: is a campaign artwork (poster, sticker, banner) in the window, where, how large,
and how much of it can be seen?

1. Features: SIFT keypoints of the artwork (cached per process by the file's digest, so a warm
   Lambda describes each artwork once) and of the photo (once per photo, on a grey copy with a
   long side of DETECT_LONG_SIDE, contrast-stretched so a dark photo still has keypoints).
2. Matches: nearest neighbours with Lowe's ratio test, then a RANSAC homography (USAC MAGSAC).
3. The quad (the artwork's corners in the photo) must be convex, with plausible angles, side
   ratios and area.
4. Verification, because inliers alone cannot be trusted: posters of one brand share a template
   (frame, logo band, legal line, fonts), so a poster of the same brand gives many good matches
   on the shared parts. Inliers must spread over the artwork (INLIER_GRID x INLIER_GRID
   occupancy), and the photo is warped back into the artwork's frame and compared cell by cell
   (zero-mean normalised correlation on a VERIFY_GRID x VERIFY_GRID grid). A cell "agrees" when
   it shows the artwork's content, "contradicts" when it shows other textured content, and is
   neither when it shows no detail (a plain occluder, glare, outside the photo). Few
   contradicting cells: the artwork. Many: a same-template poster shows its own picture there,
   or a person (textured) stands in front; cell by cell the two look alike. The pack's other
   artworks tell them apart: the cells the artwork shares with none of them are its own, a
   sister poster agrees on almost none of those, the artwork behind a person on most of what is
   seen of them, and a person hides one region, not cells spread over the poster. Without other
   artworks in the pack the template is unknown and a poster mostly behind a textured occluder
   is not claimed. A rejected homography's inliers are set aside and the next one tried (the
   artwork may sit beside its template sibling).
5. Visible share: the share of the artwork's area inside the photo and not hidden (plainly
   covered, or in the region of contradicting cells), with the cells at the occluder's edge
   judged in quarters. The match keeps this hidden map, so the text rule knows which letters of
   a phrase a person hides.
6. Rivals: the guideline's other artworks are matched too and, where two quads overlap, the one
   that agrees better on the cells where the two artworks differ keeps the region.
7. Determinism: OpenCV's generator is seeded before FLANN's randomised trees and before MAGSAC,
   and the per-process caches hold only what the artwork file's bytes determine, so a photo's
   verdict does not depend on what the process analysed before.
"""

from __future__ import annotations

import enum
import functools
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from chalicelib.core.guideline import ArtworkRule
from chalicelib.core.vocabulary import RuleStatus
from chalicelib.vision.context import PhotoContext, digest
from chalicelib.vision.evidence import Evidence, Note, Quad, ZoneBox
from chalicelib.vision.verdict import RuleResult, Threshold

log = logging.getLogger(__name__)

DETECT_LONG_SIDE = 640  # the photo is searched at this size; quads are scaled back
ARTWORK_LONG_SIDE = 480  # an artwork is described at this size (posters appear smaller in photos)
PHOTO_FEATURES = 4000
ARTWORK_FEATURES = 1500
RATIO = 0.8  # Lowe's ratio test
RANSAC_PX = 5.0  # reprojection error allowed, in detection pixels
# A small poster behind a person may hold 15 inliers among 65 matches: 4-point samples are then
# all inliers once in ~400 draws, and 0.999 confidence needs ~3,000. MAGSAC stops as soon as it
# is confident, so a clear poster costs no more.
MAX_RANSAC_ITERATIONS = 10000
MIN_INLIERS = 12
INLIER_GRID = 4
MIN_INLIER_CELLS = 5  # of 16: inliers must not crowd in one corner (a logo, a legal line)
VERIFY_GRID = 8
VERIFY_LONG_SIDE = 192  # the artwork frame the photo is warped back into, for the cell comparison
CELL_AGREES = 0.6  # correlation above which a cell shows the artwork's own content
MIN_CELL_DETAIL = 6.0  # grey-level std below which an artwork cell has no content to compare
MIN_AGREEING = 0.4  # share of the artwork's comparable cells that must agree for "found"
# A cell whose detail is below this share of the artwork's (scaled by the photo's overall
# contrast) shows nothing to judge: a plain occluder, glare, deep shadow.
MIN_OBSERVED_CONTRAST = 0.35
# Share of the judged cells that may show other textured content: a poster of the same template
# with another picture contradicts on its picture cells (0.19-0.31 measured on scenes.labelled_set),
# the artwork itself behind plain occluders, glare or reflections rarely above 0.15.
MAX_CONTRADICTION = 0.17
# Beyond that, one textured thing in front (a person) may explain the contradicting cells: then
# at least this share of the artwork's own cells (those no template sibling of the pack shares)
# must show the artwork, among those the photo shows at all. A sister poster agrees on almost
# none of them (under 0.4 measured), the artwork behind a person on most (0.57 and up).
MIN_IDENTITY_AGREEING = 0.5
ARTWORK_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")  # pack files that may be template siblings
RANDOM_SEED = 20261130  # OpenCV's generator, reset before each randomised step
# Quad plausibility: a poster photographed from the pavement, not a degenerate homography.
MIN_ANGLE_DEG, MAX_ANGLE_DEG = 35.0, 145.0
MAX_SIDE_RATIO = 3.0  # opposite sides
MAX_ASPECT_CHANGE = 3.0  # quad aspect vs artwork aspect
MIN_QUAD_SHARE = 0.002  # of the detection image
OVERLAP_IOU = 0.3  # two artworks' quads this overlapping claim the same region
MAX_HYPOTHESES = 3  # homographies tried per artwork

_artwork_cache: dict[str, _ArtworkFeatures] = {}
_template_cache: dict[str, np.ndarray] = {}  # verify frames of pack siblings, by content digest
_ARTWORK_CACHE_LIMIT = 64


@dataclass(frozen=True)
class ArtworkMatch:
    name: str
    quad: np.ndarray  # (4, 2) float32, working-image pixels, artwork corners TL, TR, BR, BL
    homography: np.ndarray  # 3x3, artwork pixels -> working-image pixels
    artwork_size: tuple[int, int]  # (w, h) of the artwork image used for matching
    inliers: int
    visible: float  # 0..1 of the artwork inside the photo and not hidden
    share: float  # 0..1 of the photo's area covered by the quad
    score: float  # 0..1 confidence
    # (2 VERIFY_GRID)² over the artwork, 0..1: how much of each piece is hidden or outside the photo
    hidden: np.ndarray | None = None


@dataclass(frozen=True)
class _ArtworkFeatures:
    size: tuple[int, int]  # (w, h) of the matching copy
    points: np.ndarray  # (N, 2) float32
    descriptors: np.ndarray | None
    verify: np.ndarray  # float32 grey, long side VERIFY_LONG_SIDE, lightly smoothed
    detail: np.ndarray  # (VERIFY_GRID, VERIFY_GRID) bool: the cell has content to compare


@dataclass(frozen=True)
class _PhotoFeatures:
    grey: np.ndarray  # detection-size grey, contrast-stretched
    scale: float  # working pixels per detection pixel
    points: np.ndarray
    descriptors: np.ndarray | None
    index: cv2.FlannBasedMatcher | None  # over the photo's descriptors, built once per photo


def _index(descriptors: np.ndarray | None) -> cv2.FlannBasedMatcher | None:
    # A k-d forest: 3x faster than brute force for a few thousand SIFT descriptors, with the same
    # matches to within a few percent; trained once, queried by every artwork.
    if descriptors is None or len(descriptors) < 2:
        return None
    matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 4}, {"checks": 32})
    matcher.add([descriptors])
    _seeded()
    matcher.train()
    return matcher


def _sift(features: int) -> cv2.SIFT:
    return cv2.SIFT.create(nfeatures=features)


def _stretch(grey: np.ndarray) -> np.ndarray:
    """Stretch the 1st..99th percentile to the full range: a dark or hazy photo keeps keypoints."""
    low, high = np.percentile(grey[::4, ::4], (1, 99))
    if high - low < 8:
        return grey
    return cv2.convertScaleAbs(grey, alpha=255.0 / (high - low), beta=-low * 255.0 / (high - low))


def _resize_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(w, h) of an image of ``size`` once _resize_long has brought it to ``long_side``."""
    w, h = size
    factor = long_side / max(h, w)
    if factor >= 1:
        return w, h
    return max(1, round(w * factor)), max(1, round(h * factor))


def _resize_long(img: np.ndarray, long_side: int) -> np.ndarray:
    h, w = img.shape[:2]
    target = _resize_size((w, h), long_side)
    if target == (w, h):
        return img
    return cv2.resize(img, target, interpolation=cv2.INTER_AREA)


def _cell_stats(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of the VERIFY_GRID: zero-mean values flattened, and their std."""
    h, w = grey.shape
    blocks = grey[: h - h % VERIFY_GRID, : w - w % VERIFY_GRID].reshape(
        VERIFY_GRID, h // VERIFY_GRID, VERIFY_GRID, w // VERIFY_GRID
    )
    cells = blocks.transpose(0, 2, 1, 3).reshape(VERIFY_GRID, VERIFY_GRID, -1)
    centred = cells - cells.mean(axis=2, keepdims=True)
    return centred, centred.std(axis=2)


def _describe_artwork(data: bytes) -> _ArtworkFeatures:
    with Image.open(io.BytesIO(data)) as image:
        # A print-resolution JPEG decodes straight at a reduced size (at least the matching size).
        image.draft("L", (ARTWORK_LONG_SIDE, ARTWORK_LONG_SIDE))
        grey = np.asarray(ImageOps.exif_transpose(image).convert("L"))
    grey = _resize_long(grey, ARTWORK_LONG_SIDE)
    keypoints, descriptors = _sift(ARTWORK_FEATURES).detectAndCompute(grey, None)
    points = np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2)
    verify = _verify_frame(grey)
    _, std = _cell_stats(verify)
    h, w = grey.shape
    return _ArtworkFeatures((w, h), *_frozen(points, descriptors, verify, std >= MIN_CELL_DETAIL))


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Read-only arrays for the per-process caches: no photo's analysis can change what the
    next one is compared with (an absent array, None, stays None)."""
    for array in arrays:
        if array is not None:
            array.setflags(write=False)
    return arrays


def _verify_size(size: tuple[int, int]) -> tuple[int, int]:
    w, h = size
    factor = VERIFY_LONG_SIDE / max(w, h)
    # Whole cells: a multiple of the grid on both sides.
    return (
        max(VERIFY_GRID, round(w * factor / VERIFY_GRID) * VERIFY_GRID),
        max(VERIFY_GRID, round(h * factor / VERIFY_GRID) * VERIFY_GRID),
    )


def _verify_frame(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    small = cv2.resize(grey, _verify_size((w, h)), interpolation=cv2.INTER_AREA).astype(np.float32)
    return cv2.GaussianBlur(small, (0, 0), 1.2)  # both sides alike, so a slightly blurred photo still agrees


def artwork_features(data: bytes, key: str | None = None) -> _ArtworkFeatures:
    """The artwork's keypoints and descriptors, computed once per process for the same bytes
    (``key``: their digest, when the caller has it)."""
    key = key or digest(data)
    cached = _artwork_cache.get(key)
    if cached is None:
        cached = _describe_artwork(data)
        if len(_artwork_cache) >= _ARTWORK_CACHE_LIMIT:
            _artwork_cache.pop(next(iter(_artwork_cache)))
        _artwork_cache[key] = cached
    return cached


def _photo_features(context: PhotoContext) -> _PhotoFeatures:
    grey = cv2.cvtColor(context.rgb, cv2.COLOR_RGB2GRAY)
    small = _stretch(_resize_long(grey, DETECT_LONG_SIDE))
    keypoints, descriptors = _sift(PHOTO_FEATURES).detectAndCompute(small, None)
    points = np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2)
    return _PhotoFeatures(small, max(grey.shape) / max(small.shape), points, descriptors, _index(descriptors))


# --- one artwork against the photo --------------------------------------------------------------


def _corners(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)


def _plausible(quad: np.ndarray, artwork_size: tuple[int, int], image_area: float) -> bool:
    if not cv2.isContourConvex(quad.reshape(-1, 1, 2).astype(np.float32)):
        return False
    area = cv2.contourArea(quad.astype(np.float32))
    if area < MIN_QUAD_SHARE * image_area or area > 4 * image_area:
        return False
    sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
    if sides.min() <= 1:
        return False
    if max(sides[0], sides[2]) / min(sides[0], sides[2]) > MAX_SIDE_RATIO:
        return False
    if max(sides[1], sides[3]) / min(sides[1], sides[3]) > MAX_SIDE_RATIO:
        return False
    for i in range(4):
        a, b = quad[i - 1] - quad[i], quad[(i + 1) % 4] - quad[i]
        angle = np.degrees(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1)))
        if not MIN_ANGLE_DEG <= angle <= MAX_ANGLE_DEG:
            return False
    quad_aspect = (sides[0] + sides[2]) / (sides[1] + sides[3])
    art_aspect = artwork_size[0] / artwork_size[1]
    change = quad_aspect / art_aspect
    return 1 / MAX_ASPECT_CHANGE <= change <= MAX_ASPECT_CHANGE


def _inlier_cells(points: np.ndarray, size: tuple[int, int]) -> int:
    w, h = size
    cols = np.clip((points[:, 0] / w * INLIER_GRID).astype(int), 0, INLIER_GRID - 1)
    rows = np.clip((points[:, 1] / h * INLIER_GRID).astype(int), 0, INLIER_GRID - 1)
    return len(set(zip(rows.tolist(), cols.tolist())))


@dataclass(frozen=True)
class _Cells:
    """The photo warped back into the artwork's frame, judged cell by cell (VERIFY_GRID square)."""

    agrees: np.ndarray  # bool: the photo shows the artwork's content there
    contradicts: np.ndarray  # bool: a cell with content shows other textured content
    hidden: np.ndarray  # bool: something in front of the artwork there (see _compare_cells)
    in_frame: np.ndarray  # float 0..1: share of the cell inside the photo
    seen: np.ndarray  # the photo in the artwork's verify frame, smoothed like the artwork's copy
    ncc: np.ndarray  # per cell: correlation of the photo with the artwork (-1..1)


def _compare_cells(art: _ArtworkFeatures, photo: _PhotoFeatures, homography: np.ndarray) -> _Cells:
    """Per cell of the artwork: does the photo show the artwork's content there (agrees), or
    clearly other content (contradicts)?

    Neither, where the photo shows no detail there: a plain occluder, a glare blob, outside the
    frame. Those hide the artwork but are no evidence of another poster; textured content that
    is not the artwork's (another poster's picture on the same template, a person in front) is.
    A cell is hidden when the artwork has content there and the photo shows none (a plain
    occluder, glare); contradicting cells are hidden when they form the one region a thing in
    front would cover (see _hidden_map).
    """
    vh, vw = art.verify.shape
    to_artwork = np.diag([art.size[0] / vw, art.size[1] / vh, 1.0])
    verify_to_photo = homography @ to_artwork
    seen = cv2.warpPerspective(photo.grey, verify_to_photo, (vw, vh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP).astype(
        np.float32
    )
    inside = cv2.warpPerspective(
        np.full(photo.grey.shape, 255, np.uint8), verify_to_photo, (vw, vh), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    )
    seen = cv2.GaussianBlur(seen, (0, 0), 1.2)
    ref, ref_std = _cell_stats(art.verify)
    got, got_std = _cell_stats(seen)
    ncc = (ref * got).mean(axis=2) / np.maximum(ref_std * got_std, 1e-6)
    in_frame_share = cv2.resize(inside, (VERIFY_GRID, VERIFY_GRID), interpolation=cv2.INTER_AREA) / 255.0
    in_frame = in_frame_share > 200 / 255
    agrees = (ncc >= CELL_AGREES) & in_frame & art.detail
    # The photo's contrast relative to the artwork's (exposure, haze, reflections), from the
    # agreeing cells; a cell well below it shows no detail to judge.
    gain = float(np.median(got_std[agrees] / ref_std[agrees])) if agrees.any() else 1.0
    textured = got_std >= MIN_OBSERVED_CONTRAST * gain * ref_std
    contradicts = ~agrees & in_frame & art.detail & textured
    hidden = ~agrees & in_frame & art.detail & ~textured
    return _Cells(agrees, contradicts, hidden, in_frame_share.astype(np.float32), seen, ncc)


def _hidden_map(art: _ArtworkFeatures, cells: _Cells) -> np.ndarray:
    """Where the artwork cannot be seen, on a grid twice as fine as the cells (0..1 hidden).

    Every cell counts, plain ones included (a person in front of the poster's plain background
    hides it as much as its picture): outside the photo, plainly covered, or in the largest
    region of contradicting cells (what is in front). Scattered contradicting cells are the
    artwork seen badly (blur, a reflection), not hidden. The occluder's edge runs through its
    cells: each is judged again in quarters, so a cell half covered counts half.
    """
    # What is in front shows content unrelated to the artwork (correlation near 0); a group of
    # cells still correlated with it is the artwork seen through artefacts or a reflection. So the
    # thing in front is the group that most contradicts the artwork, not merely the largest.
    occluder = _one_occluder(cells.contradicts, 1.0 - np.clip(cells.ncc, 0.0, 1.0))
    hidden = np.repeat(np.repeat((cells.hidden | occluder).astype(np.float32), 2, axis=0), 2, axis=1)
    vh, vw = art.verify.shape
    ch, cw = vh // (2 * VERIFY_GRID), vw // (2 * VERIFY_GRID)
    for row, col in zip(*np.nonzero(occluder)):
        for y in (2 * row, 2 * row + 1):
            for x in (2 * col, 2 * col + 1):
                box = (slice(y * ch, (y + 1) * ch), slice(x * cw, (x + 1) * cw))
                hidden[y, x] = _differs(art.verify[box], cells.seen[box])
    outside = 1.0 - np.repeat(np.repeat(cells.in_frame, 2, axis=0), 2, axis=1)
    return np.maximum(hidden, outside)


def _differs(ref: np.ndarray, got: np.ndarray) -> bool:
    """Does the photo fail to show this piece of the artwork: its detail not matched, or
    texture where the artwork is plain?"""
    a, b = ref - ref.mean(), got - got.mean()
    sa, sb = float(a.std()), float(b.std())
    if sa < MIN_CELL_DETAIL:
        return sb >= MIN_CELL_DETAIL
    return float((a * b).mean()) < CELL_AGREES * max(sa * sb, 1e-6)


def _one_occluder(contradicts: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """The largest 8-connected group of contradicting cells, by count or by the sum of ``weight``
    over its cells: what one thing in front would hide."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(contradicts.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros_like(contradicts)
    if weight is None:
        return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    sizes = np.bincount(labels.ravel(), weights=weight.ravel().astype(np.float64), minlength=count)
    return labels == 1 + int(np.argmax(sizes[1:]))


def _identity_agreement(cells: _Cells, identity: np.ndarray) -> float:
    """Share of the artwork's own cells (not shared with its template siblings) that the photo
    shows as the artwork, among those it shows at all."""
    judged = identity & (cells.agrees | cells.contradicts)
    return float((cells.agrees & judged).sum() / judged.sum()) if judged.any() else 0.0


def _verified(art: _ArtworkFeatures, cells: _Cells, identity: Callable[[], np.ndarray | None]) -> bool:
    """Is the artwork itself there, not a poster of the same template (see the module notes)?

    Few contradicting cells: the artwork, seen through glare, reflections or a plain occluder.
    More of them: either something textured stands in front (a person), or a sister poster shows
    its own picture where the artwork has its own. Cell by cell the two look alike; what tells
    them apart is the artwork's own content (the cells it shares with no sibling of the pack):
    most of what is seen of it must agree, and the contradictions must form one region (one
    thing in front), not be spread over the poster. Without siblings to learn the template from,
    the template is unknown and only the first case is accepted.
    """
    judged = cells.agrees.sum() + cells.contradicts.sum()
    if cells.agrees.sum() < MIN_AGREEING * max(1, art.detail.sum()):
        return False
    if cells.contradicts.sum() <= MAX_CONTRADICTION * judged:
        return True
    scattered = cells.contradicts & ~_one_occluder(cells.contradicts)
    if scattered.sum() > MAX_CONTRADICTION * judged:
        return False
    own = identity()
    return own is not None and _identity_agreement(cells, own) >= MIN_IDENTITY_AGREEING


@dataclass(frozen=True)
class _Candidate:
    match: ArtworkMatch
    agreeing: np.ndarray  # cells of the artwork that the photo shows
    art: _ArtworkFeatures


class _Outcome(enum.Enum):
    FOUND = "found"  # a verified match
    REJECTED = "rejected"  # a homography that failed verification: set its inliers aside, try again
    EXHAUSTED = "exhausted"  # no homography with enough inliers is left


@dataclass(frozen=True)
class _Hypothesis:
    outcome: _Outcome
    candidate: _Candidate | None = None  # FOUND
    inliers: np.ndarray | None = None  # REJECTED: bool mask over the matches tried


_EXHAUSTED = _Hypothesis(_Outcome.EXHAUSTED)


def _seeded() -> None:
    """Fix OpenCV's random generator (the RANSAC sampling, FLANN's randomised trees): the same
    photo must give the same verdict whatever was analysed before it in the process."""
    cv2.setRNGSeed(RANDOM_SEED)


def _match_one(
    name: str,
    art: _ArtworkFeatures,
    photo: _PhotoFeatures,
    working_size: tuple[int, int],
    identity: Callable[[], np.ndarray | None],
) -> _Candidate | None:
    if art.descriptors is None or photo.index is None or len(photo.points) < MIN_INLIERS or len(art.points) < MIN_INLIERS:
        return None
    pairs = photo.index.knnMatch(art.descriptors, k=2)
    good = [m for m, n in (p for p in pairs if len(p) == 2) if m.distance < RATIO * n.distance]
    src = art.points[[m.queryIdx for m in good]].reshape(-1, 2)
    dst = photo.points[[m.trainIdx for m in good]].reshape(-1, 2)
    # Another poster of the same template may hold more matches (on the shared frame and legal
    # line) than the artwork itself, and the artwork's picture may appear elsewhere (a product,
    # a print): when a hypothesis fails verification, its inliers are set aside and the next
    # one is tried.
    for _ in range(MAX_HYPOTHESES):
        if len(src) < MIN_INLIERS:
            return None
        tried = _hypothesis(name, art, photo, working_size, src, dst, identity)
        if tried.outcome is _Outcome.FOUND:
            return tried.candidate
        if tried.outcome is _Outcome.EXHAUSTED:
            return None
        assert tried.inliers is not None  # a rejected hypothesis names the matches it used
        src, dst = src[~tried.inliers], dst[~tried.inliers]
    return None


def _hypothesis(
    name: str,
    art: _ArtworkFeatures,
    photo: _PhotoFeatures,
    working_size: tuple[int, int],
    src: np.ndarray,
    dst: np.ndarray,
    identity: Callable[[], np.ndarray | None],
) -> _Hypothesis:
    """The best homography of these matches, verified."""
    _seeded()
    homography, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, RANSAC_PX, maxIters=MAX_RANSAC_ITERATIONS, confidence=0.999)
    if homography is None:
        return _EXHAUSTED
    inlier = mask.ravel().astype(bool)
    inliers = int(inlier.sum())
    if inliers < MIN_INLIERS:
        return _EXHAUSTED
    rejected = _Hypothesis(_Outcome.REJECTED, inliers=inlier)
    quad = cv2.perspectiveTransform(_corners(art.size).reshape(-1, 1, 2), homography).reshape(4, 2)
    gh, gw = photo.grey.shape
    if not _plausible(quad, art.size, gw * gh):
        return rejected
    if _inlier_cells(src[inlier], art.size) < MIN_INLIER_CELLS:
        return rejected
    cells = _compare_cells(art, photo, homography)
    if not _verified(art, cells, identity):
        return rejected
    agreeing = float(cells.agrees.sum() / max(1, art.detail.sum()))
    hidden = _hidden_map(art, cells)
    visible = float(1.0 - hidden.mean())
    # Back to working-image pixels.
    to_working = np.diag([photo.scale, photo.scale, 1.0])
    homography = to_working @ homography
    quad = (quad * photo.scale).astype(np.float32)
    width, height = working_size
    in_frame, _ = cv2.intersectConvexConvex(quad, _corners((width, height)))
    share = float(min(1.0, in_frame / (width * height)))
    occupancy = _inlier_cells(src[inlier], art.size) / INLIER_GRID**2
    score = float(np.clip(0.5 * agreeing + 0.25 * occupancy + 0.25 * min(1.0, inliers / 60), 0, 1))
    match = ArtworkMatch(name, quad, homography, art.size, inliers, round(visible, 3), round(share, 4), round(score, 3), hidden)
    return _Hypothesis(_Outcome.FOUND, candidate=_Candidate(match, cells.agrees, art))


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    inter, _ = cv2.intersectConvexConvex(a.astype(np.float32), b.astype(np.float32))
    union = cv2.contourArea(a.astype(np.float32)) + cv2.contourArea(b.astype(np.float32)) - inter
    return float(inter / union) if union > 0 else 0.0


def _distinct_cells(a: _ArtworkFeatures, b: _ArtworkFeatures) -> np.ndarray:
    """Cells where two artworks differ: outside their shared template (frame, logo, legal line)."""
    if a.verify.shape != b.verify.shape:
        return a.detail | b.detail  # different formats: every cell tells them apart
    ref, ref_std = _cell_stats(a.verify)
    other, other_std = _cell_stats(b.verify)
    ncc = (ref * other).mean(axis=2) / np.maximum(ref_std * other_std, 1e-6)
    same_flat = (ref_std < MIN_CELL_DETAIL) & (other_std < MIN_CELL_DETAIL)
    return (ncc < CELL_AGREES) & ~same_flat


def _beats(other: _Candidate, mine: _Candidate) -> bool:
    """Does ``other`` explain the shared region better, judged on the cells where the two differ?"""
    distinct = _distinct_cells(mine.art, other.art)
    if not distinct.any():
        return (other.match.score, other.match.inliers) > (mine.match.score, mine.match.inliers)
    mine_share = (mine.agreeing & distinct).sum() / distinct.sum()
    other_share = (other.agreeing & distinct).sum() / distinct.sum()
    if other_share != mine_share:
        return other_share > mine_share
    return (other.match.score, other.match.inliers) > (mine.match.score, mine.match.inliers)


def _upright_size(data: bytes) -> tuple[int, int] | None:
    """(w, h) of an image file as shown (EXIF orientation applied), from its header alone."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001 - not an image: not a sibling
        return None
    return (height, width) if turned else (width, height)


def _template_view(data: bytes, key: str) -> np.ndarray:
    """An artwork's verify frame (no keypoints: a sibling only lends its cells), once per process."""
    cached = _template_cache.get(key)
    if cached is None:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("L", (ARTWORK_LONG_SIDE, ARTWORK_LONG_SIDE))
            grey = np.asarray(ImageOps.exif_transpose(image).convert("L"))
        (cached,) = _frozen(_verify_frame(_resize_long(grey, ARTWORK_LONG_SIDE)))
        if len(_template_cache) >= _ARTWORK_CACHE_LIMIT:
            _template_cache.pop(next(iter(_template_cache)))
        _template_cache[key] = cached
    return cached


def _siblings(context: PhotoContext, name: str, art: _ArtworkFeatures) -> list[np.ndarray]:
    """The verify frames of the pack's other artworks in this artwork's format (every file when
    the pack can list them, else the guideline's own artworks)."""
    listed = getattr(context.pack, "names", None)
    names = set(listed() if listed is not None else ()) | set(context.artworks)
    siblings = []
    for other in sorted(names - {name}):
        if not other.lower().endswith(ARTWORK_SUFFIXES):
            continue
        try:
            size = _upright_size(context.pack.read(other))
            if size is None or _verify_size(_resize_size(size, ARTWORK_LONG_SIDE)) != (art.verify.shape[1], art.verify.shape[0]):
                continue  # another format (a reference photo, a banner): it shares no template cells
            siblings.append(_template_view(*context.pack_file(other)))
        except Exception:
            log.warning("artwork %s: pack file %s could not be read as a sibling", name, other, exc_info=True)
    return siblings


def _identity_cells(art: _ArtworkFeatures, siblings: list[np.ndarray]) -> np.ndarray | None:
    """The artwork's own cells: content that no sibling of the same format shares (the shared
    ones are the template: frame, logo band, legal line). None when no sibling is known."""
    same_format = [other for other in siblings if other.shape == art.verify.shape]
    if not same_format:
        return None
    ref, ref_std = _cell_stats(art.verify)
    own = art.detail.copy()
    for other in same_format:
        cells, std = _cell_stats(other)
        ncc = (ref * cells).mean(axis=2) / np.maximum(ref_std * std, 1e-6)
        own &= ncc < CELL_AGREES
    return own


def _raw_match(context: PhotoContext, name: str) -> _Candidate | None:
    """The artwork's own best match, before any rival is considered."""
    data, key = context.pack_file(name)  # PackMissing propagates: the rule errors

    def compute() -> _Candidate | None:
        art = artwork_features(data, key)
        photo = context.shared("artwork:photo_features", lambda: _photo_features(context))
        # Learnt from the pack only when a match needs it (a textured occluder or a sister).
        identity = functools.cache(lambda: _identity_cells(art, _siblings(context, name, art)))
        return _match_one(name, art, photo, context.size, identity)

    listed = getattr(context.pack, "names", None)
    pack_files = ",".join(listed()) if listed is not None else ""
    return context.shared(f"artwork:raw:{key}|{pack_files}|{','.join(sorted(set(context.artworks) - {name}))}", compute)


def match_key(context: PhotoContext, name: str) -> str:
    """What find() depends on besides the photo: the artwork's content and its rivals."""
    rivals = ",".join(context.pack_file(rival)[1] for rival in context.artworks if rival != name)
    return f"{context.pack_file(name)[1]}|{rivals}"


def find(context: PhotoContext, name: str) -> ArtworkMatch | None:
    """The artwork ``name`` of the pack in this photo, or None; memoised per photo.

    Where another artwork of the pack claims the same region with a higher score, the region is
    that artwork's and ``name`` is not found there.
    """

    def compute() -> ArtworkMatch | None:
        mine = _raw_match(context, name)
        if mine is None:
            return None
        for rival in context.artworks:
            if rival == name:
                continue
            try:
                other = _raw_match(context, rival)
            except Exception:
                log.warning("artwork %s: rival %s could not be matched", name, rival, exc_info=True)
                continue
            if other is not None and _overlap(mine.match.quad, other.match.quad) > OVERLAP_IOU and _beats(other, mine):
                return None
        return mine.match

    return context.shared(f"artwork:find:{match_key(context, name)}", compute)


# --- the rule ------------------------------------------------------------------------------------


def _in_zone(quad: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """The quad's centre lies in the zone, or most of the quad does."""
    x, y, w, h = box
    cx, cy = quad.mean(axis=0)
    if x <= cx <= x + w and y <= cy <= y + h:
        return True
    zone = _corners((w, h)) + np.array([x, y], np.float32)
    inter, _ = cv2.intersectConvexConvex(quad.astype(np.float32), zone)
    return inter > 0.5 * cv2.contourArea(quad.astype(np.float32))


def evaluate(rule: ArtworkRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    threshold = Threshold(min=params.min_visible, uncertain_margin=params.uncertain_margin)
    match = find(context, params.artwork)
    evidence: list[Evidence] = []
    if rule.zone is not None:
        evidence.append(ZoneBox(context.zone_pixels(rule.zone)))
    if match is not None:
        evidence.append(Quad(tuple((round(float(x), 1), round(float(y), 1)) for x, y in match.quad), params.artwork))

    def result(status: RuleStatus, value: float, confidence: float, note: str, passed_message: str) -> RuleResult:
        return RuleResult.judged(
            rule,
            status,
            value,
            threshold,
            round(confidence, 3),
            evidence + [Note(note)],
            passed=passed_message,
        )

    if params.mode == "forbidden":
        if match is None:
            return result("pass", 0.0, 0.8, f"{params.artwork} not found.", "The withdrawn artwork is not in the window.")
        return result("fail", match.visible, match.score, f"{params.artwork} found ({match.visible:.0%} visible).", "")

    if match is None:
        return result("fail", 0.0, 0.8, f"{params.artwork} not found in the photo.", "")
    visible = match.visible
    if rule.zone is not None and not _in_zone(match.quad, context.zone_pixels(rule.zone)):
        return result("fail", visible, match.score, f"{params.artwork} found outside the zone {rule.zone.name or 'box'}.", "")
    if match.share < params.min_share:
        return result(
            "fail",
            visible,
            match.score,
            f"{params.artwork} too small: {match.share:.1%} of the photo, {params.min_share:.1%} needed.",
            "",
        )
    status, confidence = threshold.judge(visible)
    notes = {
        "pass": f"{params.artwork} found, {visible:.0%} visible, {match.share:.1%} of the photo.",
        "uncertain": f"{params.artwork} found but partly hidden: {visible:.0%} visible.",
        "fail": f"{params.artwork} mostly hidden: {visible:.0%} visible, {params.min_visible:.0%} needed.",
    }
    return result(
        status,
        visible,
        min(confidence, match.score) if status == "pass" else confidence,
        notes[status],
        "The campaign artwork is in the window.",
    )
