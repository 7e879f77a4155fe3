"""Palette: are the campaign's brand colours in the window, each over a minimum share of it?

Where: a campaign's brand colours are printed on its artworks, so when the guideline names
artworks (the posters its rules look for), the colours are measured on those of them the artwork
matcher finds in the photo (the same match the artwork rule uses, shared per photo), and each
share is of that region. Measured over the whole window, another brand's white, a red dress or the
street behind the glass passed for a brand colour of a poster that was not there, while a poster's
second colour covers only 0.5-3 % of a photo: no share of the whole window tells the two apart. A
window where none of the guideline's artworks is found has nothing carrying the brand colours,
and fails. A guideline without artworks, or a rule with ``on: zone`` (the colours of the decor
or the products), measures the rule's zone (default the whole photo).

A found poster is sampled on a grid in its own frame (poster_view), at points of the full working
image, and brought to its artwork file's exposure (exposure_gain): the colours of a dark or bright
photo of a known print are recovered, not guessed; a poster crushed or blown beyond that is not
judged (uncertain). Without artworks, the zone of the working image is shrunk to a long side of
256 (colour shares over a window need no detail). Either way the pixels are corrected for the
colour of the light when the rule asks for it, and converted to CIE Lab (D65).
A pixel counts as a brand colour when its CIEDE2000 distance to it is at most ``max_delta_e``,
with lightness weighted half (kL = 2): a photo's exposure moves a print's lightness far more than
its hue or chroma (see LIGHTNESS_WEIGHT).

White balance: a shop window is lit by warm spots, cool LEDs or a blue evening sky, and a phone's
auto white balance only partly undoes that, while brand colours are defined under daylight. The
correction ("grey_edge" in the guideline) divides each linear-light channel by an estimate of
the light's colour; the estimate is grey edge, a robust member of the grey-world family, chosen by
measurement on cast synthetic windows (see illuminant_gains).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from chalicelib.core.guideline import BrandColour, PaletteRule
from chalicelib.vision.checks.artwork import ArtworkMatch, find
from chalicelib.vision.context import FrozenCache, PhotoContext
from chalicelib.vision.evidence import ColourCells, Evidence, Note, Quad, ZoneBox
from chalicelib.vision.resample import shrink
from chalicelib.vision.verdict import RuleResult, Threshold

ANALYSIS_LONG_SIDE = 256
GRID_COLUMNS = 8  # evidence cells across the zone; rows follow the zone's aspect
CELL_MIN_SHARE = 0.2  # a cell is shown for a colour when this share of it has the colour
QUANT_BITS = 5  # per channel, for the colour table of measure()
# CIEDE2000's lightness weight kL. A print's lightness in a photo follows the exposure and how
# much light falls on it, which white balance does not undo (it keeps the brightness): on the
# devset's photos a poster's white or cream comes out at L* 73-87 instead of 98-100, its strong
# colours 5-8 L* darker, while hue and chroma hold. kL = 2, the value colour tolerancing uses when
# lightness matters less (textiles, CMC 2:1), halves the weight of that difference.
LIGHTNESS_WEIGHT = 2.0
GREY_EDGE_P = 6  # Minkowski norm of the light estimate: leans on the strongest edges
POSTER_LONG_SIDE = 160  # grid points along a found artwork's long side (~18 000 samples a poster)
# Exposure from the artwork: how far a found poster's lightness is from its file's, as a gain in
# linear light. Only grid points where both are well measurable vote (the file's near-black ink
# says nothing about exposure; a blown or crushed photo pixel has lost it).
REFERENCE_MIN_LUMA = 0.05  # linear luminance of the artwork's pixel, at least
SAMPLE_LUMA_RANGE = (0.002, 0.95)  # linear luminance of the photo's pixel, within
MAX_EXPOSURE_GAIN = 16.0  # 4 stops either way: beyond, an 8-bit photo keeps too few levels to judge
# Colours cannot be judged on a poster whose samples are mostly crushed to black or blown to white
# (the photo-quality rules send such photos back): the rule then steps aside (uncertain).
UNJUDGEABLE_SHARE = 0.5
CLIP_PERCENTILE = 99  # a darkened photo's clip: the brightest 1 % of a poster's samples ...
CLIP_MARGIN = 12  # ... less a bin and a half (sRGB levels), for noise and JPEG
_artwork_views = FrozenCache(32)

# sRGB (0..255) to linear light, as a lookup table.
_levels = np.arange(256, dtype=np.float64) / 255.0
SRGB_TO_LINEAR = np.where(_levels <= 0.04045, _levels / 12.92, ((_levels + 0.055) / 1.055) ** 2.4).astype(np.float32)


# --- colour science --------------------------------------------------------------------------


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray, k_l: float = 1.0) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu, Dalal 2005), kC = kH = 1 and lightness weight
    ``k_l`` (1: the reference conditions; 2: lightness counts half), broadcasting (..., 3)."""
    lab1, lab2 = np.asarray(lab1, np.float64), np.asarray(lab2, np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_mean7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_mean7 / (c_mean7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    chroma_product = c1p * c2p
    achromatic = chroma_product == 0

    dl = L2 - L1
    dc = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(achromatic, 0.0, dh)
    dH = 2 * np.sqrt(chroma_product) * np.sin(np.radians(dh) / 2)

    l_mean = (L1 + L2) / 2
    c_mean_p = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(np.abs(h1p - h2p) <= 180, h_sum / 2, np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2))
    h_mean = np.where(achromatic, h_sum, h_mean)

    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    d_theta = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    c_mean_p7 = c_mean_p**7
    r_c = 2 * np.sqrt(c_mean_p7 / (c_mean_p7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * c_mean_p
    s_h = 1 + 0.015 * c_mean_p * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    terms = (dl / (k_l * s_l)) ** 2 + (dc / s_c) ** 2 + (dH / s_h) ** 2 + r_t * (dc / s_c) * (dH / s_h)
    return np.sqrt(np.maximum(terms, 0.0))


def hex_to_lab(hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], np.uint8)
    return linear_to_lab(SRGB_TO_LINEAR[rgb].reshape(1, 1, 3))[0, 0]


def linear_to_lab(linear: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(linear, np.float32), cv2.COLOR_LRGB2Lab)


def illuminant_gains(linear: np.ndarray) -> np.ndarray:
    """Per-channel gains that make the estimated light neutral, keeping its brightness.

    Grey edge (van de Weijer et al. 2007): the light's colour is the Minkowski p-norm mean of each
    channel's gradient magnitude, not of the values themselves. Edges between surfaces reflect the
    light's colour about equally, while the plain mean (grey world) is pulled towards whatever
    covers the most area -- in a dressed window, often the brand-coloured posters, which a
    brand-colour check must not correct away. Measured on cast windows, plain grey world made
    things worse than no correction; grey edge kept the brand colours within about 8 dE00 under a
    tungsten or blue-hour light (see tests/vision/test_palette.py and the report).
    """
    smooth = cv2.GaussianBlur(linear, (0, 0), 1.0)
    gradient = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    light = np.mean(gradient.reshape(-1, 3).astype(np.float64) ** GREY_EDGE_P, axis=0) ** (1.0 / GREY_EDGE_P)
    if not np.all(light > 1e-6):
        return np.ones(3, np.float32)  # a flat image: nothing to estimate the light from
    return (light.mean() / light).astype(np.float32)


def lab_of(rgb: np.ndarray, white_balance: str) -> np.ndarray:
    """Lab (D65) of an RGB uint8 image, after the white balance the rule asks for."""
    linear = SRGB_TO_LINEAR[rgb]
    if white_balance == "grey_edge":
        linear = np.minimum(linear * illuminant_gains(linear), 1.0)
    return linear_to_lab(linear)


def _bin_lab(gains: np.ndarray | None, exposure: float = 1.0, clipped_from: int = 256) -> np.ndarray:
    """Lab of the centre of every colour bin (QUANT_BITS per channel), under the given
    white-balance gains, then the exposure gain, except for the bins whose every channel is at
    least ``clipped_from`` (sRGB)."""
    levels = (np.arange(1 << QUANT_BITS) << (8 - QUANT_BITS)) + (1 << (7 - QUANT_BITS))
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    centres = np.stack([r, g, b], axis=-1).reshape(-1, 1, 3).astype(np.uint8)
    linear = SRGB_TO_LINEAR[centres]
    if gains is not None:
        linear = np.minimum(linear * gains, 1.0)
    if exposure != 1:
        kept = centres.min(axis=-1) >= clipped_from  # whites at this photo's clip: not darkened
        linear = np.where(kept[..., None], linear, np.minimum(linear * exposure, 1.0))
    return linear_to_lab(linear).reshape(-1, 3)


# --- the check -------------------------------------------------------------------------------


def _analysis_image(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    factor = ANALYSIS_LONG_SIDE / max(height, width)
    if factor >= 1:
        return rgb
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return shrink(rgb, size)


def _cells(mask: np.ndarray, zone: tuple[int, int, int, int]) -> list[list[int]]:
    """Cells of a coarse grid over the zone where the colour is, in working-image pixels."""
    height, width = mask.shape
    columns = min(GRID_COLUMNS, width)
    rows = max(1, min(height, round(columns * height / width)))
    zx, zy, zw, zh = zone
    cells = []
    for row in range(rows):
        y0, y1 = row * height // rows, (row + 1) * height // rows
        for column in range(columns):
            x0, x1 = column * width // columns, (column + 1) * width // columns
            if mask[y0:y1, x0:x1].mean() >= CELL_MIN_SHARE:
                left, top = zx + column * zw // columns, zy + row * zh // rows
                cells.append([left, top, zx + (column + 1) * zw // columns - left, zy + (row + 1) * zh // rows - top])
    return cells


def _codes(rgb: np.ndarray) -> np.ndarray:
    """The colour bin of every pixel (QUANT_BITS per channel)."""
    shift = 8 - QUANT_BITS
    return (
        ((rgb[..., 0] >> shift).astype(np.int32) << (2 * QUANT_BITS))
        | ((rgb[..., 1] >> shift).astype(np.int32) << QUANT_BITS)
        | (rgb[..., 2] >> shift)
    )


def _colour_masks(
    codes: np.ndarray,
    colours: list[BrandColour],
    max_delta_e: float,
    gains: np.ndarray | None,
    exposure: float = 1.0,
    clipped_from: int = 256,
) -> list[np.ndarray]:
    """Per brand colour, where the pixels of ``codes`` have it.

    CIEDE2000 is costly per pixel, so it is computed once per colour bin present in the image
    (QUANT_BITS per channel: a bin centre is within ~1 dE00 of its pixels) and looked up.
    """
    present = np.flatnonzero(np.bincount(codes.ravel(), minlength=1 << (3 * QUANT_BITS)))
    present_lab = _bin_lab(gains, exposure, clipped_from)[present]
    masks = []
    for colour in colours:
        matches = np.zeros(1 << (3 * QUANT_BITS), bool)
        matches[present] = delta_e_2000(present_lab, hex_to_lab(colour.hex), LIGHTNESS_WEIGHT) <= max_delta_e
        masks.append(matches[codes])
    return masks


def _gains(small: np.ndarray, white_balance: str) -> np.ndarray | None:
    return illuminant_gains(SRGB_TO_LINEAR[small]) if white_balance == "grey_edge" else None


def measure(
    rgb: np.ndarray, colours: list[BrandColour], max_delta_e: float, white_balance: str
) -> list[tuple[float, np.ndarray]]:
    """(share of pixels, match mask) of each brand colour in an RGB uint8 image."""
    small = _analysis_image(rgb)
    codes = _codes(small)
    return [(float(mask.mean()), mask) for mask in _colour_masks(codes, colours, max_delta_e, _gains(small, white_balance))]


@dataclass(frozen=True)
class PosterView:
    """A found artwork seen in its own frame: the photo sampled on a grid over the artwork."""

    match: ArtworkMatch
    rgb: np.ndarray  # (h, w, 3) uint8, the photo's pixels at the grid points
    inside: np.ndarray  # (h, w) bool, grid points that fall inside the photo
    to_photo: np.ndarray  # 3x3, grid pixels -> working-image pixels


def poster_view(rgb: np.ndarray, match: ArtworkMatch) -> PosterView:
    """Sample the working image on a POSTER_LONG_SIDE grid over the artwork, through its homography.

    Point samples of the full working image, not an average: a shrunk photo blends a poster's thin
    lettering into its background colour, which is how a second colour covering 5-12 % of the
    artwork measured 1-3 % of a shrunk poster.
    """
    art_w, art_h = match.artwork_size
    factor = POSTER_LONG_SIDE / max(art_w, art_h)
    grid_w, grid_h = max(1, round(art_w * factor)), max(1, round(art_h * factor))
    to_photo = match.homography @ np.diag([art_w / grid_w, art_h / grid_h, 1.0])
    u, v = np.meshgrid(np.arange(grid_w) + 0.5, np.arange(grid_h) + 0.5)
    points = np.stack([u, v], axis=-1).reshape(-1, 1, 2).astype(np.float64)
    mapped = cv2.perspectiveTransform(points, to_photo).reshape(grid_h, grid_w, 2).astype(np.float32)
    height, width = rgb.shape[:2]
    inside = (mapped[..., 0] >= 0) & (mapped[..., 0] <= width - 1) & (mapped[..., 1] >= 0) & (mapped[..., 1] <= height - 1)
    sampled = cv2.remap(rgb, mapped[..., 0], mapped[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return PosterView(match, sampled, inside, to_photo)


def artwork_grid(data: bytes, key: str, size: tuple[int, int]) -> np.ndarray:
    """An artwork file's RGB averaged onto a (w, h) grid, once per process."""

    def compute() -> np.ndarray:
        with Image.open(io.BytesIO(data)) as image:
            rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)

    return _artwork_views.get((key, size), compute)


def _luminance(linear: np.ndarray) -> np.ndarray:
    return linear @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def exposure_gain(sampled: np.ndarray, reference: np.ndarray, inside: np.ndarray) -> float | None:
    """The linear-light gain that brings a found poster to its artwork's lightness: the median
    ratio of luminances over the grid points where both are measurable; None when too few are
    (a poster crushed or blown beyond judging)."""
    photo, art = _luminance(sampled), _luminance(reference)
    low, high = SAMPLE_LUMA_RANGE
    usable = inside & (art >= REFERENCE_MIN_LUMA) & (photo >= low) & (photo <= high)
    if usable.sum() < UNJUDGEABLE_SHARE * max(1, int((inside & (art >= REFERENCE_MIN_LUMA)).sum())):
        return None
    gain = float(np.median(art[usable] / photo[usable]))
    return gain if 1 / MAX_EXPOSURE_GAIN <= gain <= MAX_EXPOSURE_GAIN else None


def _clip_level(view: PosterView) -> int:
    """Where this photo's whites are clipped: the level, in its least channel, its brightest
    samples pile up at (a clipped white saved darker sits at 230, not 255). Darkening a clipped
    white makes a grey: the exposure correction leaves these samples alone."""
    least = view.rgb.min(axis=-1)[view.inside]
    if least.size == 0:
        return 256
    return int(np.percentile(least, CLIP_PERCENTILE)) - CLIP_MARGIN


def _poster_cells(mask: np.ndarray, view: PosterView) -> list[list[int]]:
    """Cells of a coarse grid over the poster where the colour is, as boxes in the working image."""
    height, width = mask.shape
    columns = min(GRID_COLUMNS, width)
    rows = max(1, min(height, round(columns * height / width)))
    cells = []
    for row in range(rows):
        y0, y1 = row * height // rows, (row + 1) * height // rows
        for column in range(columns):
            x0, x1 = column * width // columns, (column + 1) * width // columns
            inside = view.inside[y0:y1, x0:x1]
            if inside.any() and mask[y0:y1, x0:x1][inside].mean() >= CELL_MIN_SHARE:
                corners = np.array([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]], np.float64)
                box = cv2.boundingRect(cv2.perspectiveTransform(corners, view.to_photo).astype(np.float32))
                cells.append([int(box[0]), int(box[1]), int(box[2]), int(box[3])])
    return cells


def _shown(context: PhotoContext) -> tuple[str, ...]:
    return tuple(name for name in context.artworks if name not in context.withdrawn)


def _found_artworks(context: PhotoContext, zone: tuple[int, int, int, int]) -> list[ArtworkMatch]:
    """The guideline's artworks (not those it forbids) the matcher finds with their centre in the zone."""
    x, y, w, h = zone
    found = []
    for name in _shown(context):
        match = find(context, name)
        if match is not None:
            cx, cy = match.quad.mean(axis=0)
            if x <= cx <= x + w and y <= cy <= y + h:
                found.append(match)
    return found


def _on_posters(
    context: PhotoContext,
    found: list[ArtworkMatch],
    colours: list[BrandColour],
    max_delta_e: float,
    gains: np.ndarray | None,
    evidence: list[Evidence],
) -> tuple[list[float], list[list[list[int]]]] | None:
    """Each colour's share of the found posters' samples, and its cells; None when no poster can
    be judged. Adds each poster's outline (and why one is not judged) to ``evidence``."""
    judged = 0
    counts = np.zeros(len(colours))
    cells: list[list[list[int]]] = [[] for _ in colours]
    balance = gains if gains is not None else np.ones(3, np.float32)
    for match in found:
        view = poster_view(context.rgb, match)
        evidence.append(Quad(tuple((round(float(qx), 1), round(float(qy), 1)) for qx, qy in match.quad), match.name))
        data, key = context.pack_file(match.name)
        reference = SRGB_TO_LINEAR[artwork_grid(data, key, (view.rgb.shape[1], view.rgb.shape[0]))]
        exposure = exposure_gain(SRGB_TO_LINEAR[view.rgb] * balance, reference, view.inside)
        if exposure is None:
            evidence.append(Note(f"{match.name}: too dark or too bright to judge its colours."))
            continue
        clipped_from = _clip_level(view) if exposure < 1 else 256
        for index, mask in enumerate(_colour_masks(_codes(view.rgb), colours, max_delta_e, gains, exposure, clipped_from)):
            mask &= view.inside
            counts[index] += mask.sum()
            cells[index].extend(_poster_cells(mask, view))
        judged += int(view.inside.sum())
    if not judged:
        return None
    return [float(count) / judged for count in counts], cells


def evaluate(rule: PaletteRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    zone = context.zone_pixels(rule.zone)
    x, y, w, h = zone
    colours = list(params.colours)
    evidence: list[Evidence] = []
    if rule.zone is not None:
        evidence.append(ZoneBox(zone))
    shown = _shown(context) if params.on == "artworks" else ()
    found = _found_artworks(context, zone) if shown else []
    if shown and not found:
        threshold = Threshold(min=min(colour.min_share for colour in colours), uncertain_margin=params.uncertain_margin)
        evidence.append(
            Note(f"None of the campaign's artworks ({', '.join(shown)}) was found: nothing carries the brand colours.")
        )
        return RuleResult.judged(rule, "fail", 0.0, threshold, 0.8, evidence, passed="")

    zone_rgb = context.rgb[y : y + h, x : x + w]
    small = _analysis_image(zone_rgb)
    gains = _gains(small, params.white_balance)  # the light of the whole zone, posters or not
    shares: list[float] = []
    cells: list[list[list[int]]] = [[] for _ in colours]
    if found:
        measured = _on_posters(context, found, colours, params.max_delta_e, gains, evidence)
        if measured is None:
            threshold = Threshold(min=min(colour.min_share for colour in colours), uncertain_margin=params.uncertain_margin)
            return RuleResult.judged(rule, "uncertain", None, threshold, 0.0, evidence, passed="")
        shares, cells = measured
    else:
        for index, mask in enumerate(_colour_masks(_codes(small), colours, params.max_delta_e, gains)):
            shares.append(float(mask.mean()))
            cells[index] = _cells(mask, zone)

    # The colour furthest below its own minimum decides the rule.
    ratios = [share / colour.min_share if colour.min_share > 0 else float("inf") for colour, share in zip(colours, shares)]
    worst = int(np.argmin(ratios))
    value = round(shares[worst], 4)
    threshold = Threshold(min=colours[worst].min_share, uncertain_margin=params.uncertain_margin)
    status, confidence = threshold.judge(value)
    for colour, share, where in zip(colours, shares, cells):
        evidence.append(ColourCells(colour.hex.upper(), colour.name, round(share, 4), colour.min_share, tuple(map(tuple, where))))
    return RuleResult.judged(rule, status, value, threshold, confidence, evidence, passed="The brand colours are in the window.")
