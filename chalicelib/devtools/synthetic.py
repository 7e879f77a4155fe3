"""Generated phone-like photos of a shop window, for the tests, the benchmark and the demo seed.

The scene is drawn with OpenCV primitives: a stone facade with a sign band, a window frame with
mullions (the straight architectural lines the tilt check looks for), a glass pane with
reflections, mannequins, a poster with text-like bars, shelves of products and a pavement. Two
other scenes are what a sharpness measure tuned on that one gets wrong: "textured" fills the frame
with fine detail (knitwear stacked in the window, rough-cast render), whose energy is all at the
finest scale, and "flat" is a minimalist window (plain backdrop, one large poster of flat shapes)
with few edges, all of low contrast. Then the camera's defects are applied in the order a phone
produces them: tilt, optical or motion blur, exposure (``ev``: stops in linear light, as a camera
underexposes, so a dark photo keeps every edge; ``brightness``: a plain gain) with vignetting,
sensor noise. The same seed always gives the same pixels.

Everything works on uint8 images with OpenCV's saturating arithmetic and a tiled noise patch, so
a 12 MP photo takes a fraction of a second.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import ExifTags, Image

PHONE_SIZE = (4032, 3024)  # (width, height) of a 12 MP phone photo, landscape

# Colours are RGB; cv2 does not care about channel order when drawing.
_WALLS = [(196, 184, 164), (172, 170, 164), (150, 84, 66), (214, 206, 190), (112, 116, 124)]
_FASCIAS = [(24, 36, 64), (22, 22, 24), (28, 70, 52), (110, 26, 34)]
_LETTERING = [(232, 196, 110), (245, 245, 240), (250, 220, 180)]
_BACK_WALLS = [(226, 216, 200), (236, 232, 226), (206, 214, 222), (230, 206, 196)]
_GARMENTS = [(180, 40, 48), (30, 60, 120), (236, 200, 60), (40, 40, 44), (90, 150, 110), (220, 120, 160)]
_PRODUCTS = [(200, 60, 50), (40, 90, 160), (240, 190, 40), (60, 140, 90), (230, 230, 225), (120, 70, 140)]
_SHOP_NAMES = ["MODA VIVA", "BOUTIQUE 27", "CASA BELLA", "VETRINA", "NORD STYLE", "LUCE & CO"]

_NOISE_TILE = 509  # side of the noise patch that is tiled over the photo (prime: no 8x8 alignment)


def window_photo(
    seed: int,
    size: tuple[int, int] = PHONE_SIZE,
    *,
    blur_sigma: float = 0.0,
    motion_blur_px: float = 0.0,
    brightness: float = 1.0,
    tilt_deg: float = 0.0,
    noise_sigma: float = 2.5,
    vignetting: float = 0.22,
    ev: float = 0.0,
    scene: str = "window",
    arrangement: int = 0,
) -> np.ndarray:
    """An RGB uint8 photo (height, width, 3) of a shop window.

    ``blur_sigma`` (Gaussian, pixels) and ``motion_blur_px`` (horizontal shake, pixels) are in
    pixels of ``size``; ``brightness`` multiplies the exposure (0.3 is dark, 2 blows highlights);
    ``ev`` shifts it by stops in linear light (-3 is a sharp but dark photo, +2 blows the
    highlights); ``tilt_deg`` rotates the camera; ``vignetting`` darkens the corners by that
    share; ``scene`` is "window", "textured" or "flat" (see the module's docstring).
    ``arrangement`` (window scene) moves the mannequins, the poster and the shelves to other
    places in the same window, same colours and facade: the window dressed differently.
    """
    width, height = size
    rng = np.random.default_rng(seed)
    photo = _draw_scene(rng, width, height, arrangement) if scene == "window" else _SCENES[scene](rng, width, height)
    if tilt_deg:
        photo = _rotate_filling_frame(photo, tilt_deg)
    if blur_sigma > 0:
        photo = cv2.GaussianBlur(photo, (0, 0), blur_sigma)
    if motion_blur_px >= 2:
        photo = cv2.blur(photo, (int(round(motion_blur_px)), 1))
    photo = _expose(photo, brightness, vignetting)
    if ev:
        photo = _shift_exposure(photo, ev)
    if noise_sigma > 0:
        photo = _add_sensor_noise(photo, rng, noise_sigma)
    return photo


def to_jpeg(
    rgb: np.ndarray,
    quality: int = 92,
    exif_orientation: int | None = None,
    make: str = "Vetrina-Synthetic",
) -> bytes:
    """Encode like a phone does: 4:2:0 JPEG with real EXIF (make, model, optional orientation)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = "Synthetic Window Camera"
    exif[ExifTags.Base.Software] = "chalicelib.devtools.synthetic"
    if exif_orientation is not None:
        exif[ExifTags.Base.Orientation] = exif_orientation
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(out, "JPEG", quality=quality, subsampling="4:2:0", exif=exif)
    return out.getvalue()


# --- the scene -----------------------------------------------------------------------------


class _Canvas:
    """Drawing helpers in relative coordinates (0..1 of width and height)."""

    def __init__(self, width: int, height: int, background: tuple[int, int, int]):
        self.w, self.h = width, height
        self.unit = min(width, height) / 3024  # line thickness scales with the photo
        self.img = np.empty((height, width, 3), np.uint8)
        self.img[:] = background

    def x(self, f: float) -> int:
        return int(round(f * self.w))

    def y(self, f: float) -> int:
        return int(round(f * self.h))

    def px(self, thickness: float) -> int:
        return max(1, int(round(thickness * self.unit)))

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour, thickness: float | None = None) -> None:
        t = -1 if thickness is None else self.px(thickness)
        cv2.rectangle(self.img, (self.x(x0), self.y(y0)), (self.x(x1), self.y(y1)), colour, t, cv2.LINE_AA)

    def line(self, x0: float, y0: float, x1: float, y1: float, colour, thickness: float) -> None:
        cv2.line(self.img, (self.x(x0), self.y(y0)), (self.x(x1), self.y(y1)), colour, self.px(thickness), cv2.LINE_AA)

    def poly(self, points: list[tuple[float, float]], colour) -> None:
        pts = np.array([[self.x(px), self.y(py)] for px, py in points], np.int32)
        cv2.fillPoly(self.img, [pts], colour, cv2.LINE_AA)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, colour) -> None:
        axes = (max(1, self.x(rx)), max(1, self.y(ry)))
        cv2.ellipse(self.img, (self.x(cx), self.y(cy)), axes, 0, 0, 360, colour, -1, cv2.LINE_AA)

    def text(self, label: str, x0: float, x1: float, y_base: float, colour, height_frac: float) -> None:
        """Text fitted between x0 and x1, its cap height about ``height_frac`` of the photo height."""
        font = cv2.FONT_HERSHEY_DUPLEX
        (tw, th), _ = cv2.getTextSize(label, font, 1.0, 2)
        scale = min((self.x(x1) - self.x(x0)) / tw, self.y(height_frac) / th)
        thickness = max(1, int(round(scale * 2.2)))
        (tw, _), _ = cv2.getTextSize(label, font, scale, thickness)
        left = (self.x(x0) + self.x(x1) - tw) // 2
        cv2.putText(self.img, label, (left, self.y(y_base)), font, scale, colour, thickness, cv2.LINE_AA)


def _pick(rng: np.random.Generator, options: list) -> tuple[int, int, int]:
    return options[int(rng.integers(len(options)))]


# Where the pieces of a window display stand, as shares of the window's width: the mannequins'
# centres, the poster's and the shelves' left and right.
_ARRANGEMENTS = (
    ((0.12, 0.27), (0.39, 0.58), (0.66, 1.0)),
    ((0.73, 0.88), (0.42, 0.61), (0.03, 0.36)),  # mirrored: shelves left, mannequins right
    ((0.50, 0.65), (0.06, 0.25), (0.74, 1.0)),  # the poster to the left, mannequins in the middle
)


def _draw_scene(rng: np.random.Generator, width: int, height: int, arrangement: int = 0) -> np.ndarray:
    c = _Canvas(width, height, _pick(rng, _WALLS))

    def jitter(spread: float) -> float:  # every photo's layout differs a little
        return float(rng.uniform(-spread, spread))

    left, right = 0.07 + jitter(0.02), 0.93 + jitter(0.02)
    top, bottom = 0.26 + jitter(0.02), 0.84 + jitter(0.02)

    _facade(c, bottom)
    _sign_band(c, rng, left - 0.03, right + 0.03, 0.05 + jitter(0.01), 0.19 + jitter(0.01))
    if arrangement:
        # The same pieces in other places, and the rest of the scene as in the default: the
        # default interior is drawn on a scratch canvas only to leave the generator where it
        # leaves it.
        before = rng.bit_generator.state
        _interior(_Canvas(8, 8, (0, 0, 0)), rng, left, right, top, bottom, _ARRANGEMENTS[0])
        after, rng.bit_generator.state = rng.bit_generator.state, before
        _interior(c, rng, left, right, top, bottom, _ARRANGEMENTS[arrangement])
        rng.bit_generator.state = after
    else:
        _interior(c, rng, left, right, top, bottom, _ARRANGEMENTS[0])
    _glass_reflections(c, rng, left, right, top, bottom)
    _window_frame(c, rng, left, right, top, bottom)
    _pavement(c, bottom + 0.06)
    return c.img


def _draw_textured_scene(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Fine detail from edge to edge (rough-cast render, stacked knitwear) beside a large print
    whose picture is soft: the print holds much of the contrast, the knit the sharp detail."""
    c = _Canvas(width, height, _pick(rng, _WALLS))
    c.img = _rough_cast(c.img, rng)
    left, right, top, bottom = 0.05, 0.95, 0.12, 0.88
    c.rect(left, top, right, bottom, _pick(rng, _BACK_WALLS))
    # Piles of folded jumpers: each a block of knit stitches, a few pixels each at 12 MP.
    stitch = _knit_stitch(c.unit)
    columns = 5
    for column in range(columns):
        x0 = left + 0.02 + column * (right - left - 0.04) / columns
        x1 = x0 + (right - left - 0.04) / columns - 0.015
        y = bottom - 0.03
        while y > top + 0.12:
            fold = float(rng.uniform(0.05, 0.09))
            _knit_block(c, stitch, _pick(rng, _GARMENTS), x0, y - fold, x1, y)
            y -= fold + 0.006
    _soft_print(c, rng, 0.3, top + 0.1, 0.7, bottom - 0.06)
    _window_frame(c, rng, left, right, top, bottom)
    return c.img


def _soft_print(c: _Canvas, rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float) -> None:
    """A photographic print of smooth, strongly contrasted shapes (a picture enlarged past its
    detail), with a sharp white border."""
    px0, py0, px1, py1 = c.x(x0), c.y(y0), c.x(x1), c.y(y1)
    c.rect(x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01, (245, 245, 242))
    # Its finest detail spans 16 pixels of the photo: plenty of contrast, no sharp edge.
    picture = rng.integers(0, 256, (max(2, (py1 - py0) // 16), max(2, (px1 - px0) // 16), 3), dtype=np.uint8)
    c.img[py0:py1, px0:px1] = cv2.resize(picture, (px1 - px0, py1 - py0), interpolation=cv2.INTER_CUBIC)


def _draw_flat_scene(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A minimalist window: a plain backdrop, one large poster of flat shapes, a thin frame."""
    c = _Canvas(width, height, _pick(rng, _BACK_WALLS))
    base = np.array(c.img[0, 0], float)
    # A gentle vertical shading of the backdrop: no edge anywhere, as on a lit plaster wall.
    shade = np.linspace(1.04, 0.9, 64)[:, None, None]
    c.img[:] = cv2.resize(np.clip(base * shade, 0, 255).astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)
    x0, y0 = 0.3 + float(rng.uniform(-0.05, 0.05)), 0.18 + float(rng.uniform(-0.03, 0.03))
    x1, y1 = x0 + 0.4, y0 + 0.62
    muted = tuple(int(v) for v in np.clip(base * 0.82, 0, 255))
    c.rect(x0, y0, x1, y1, muted)
    c.ellipse((x0 + x1) / 2, y0 + 0.22, 0.08, 0.1, tuple(int(v) for v in np.clip(base * 0.68, 0, 255)))
    c.rect(x0 + 0.05, y1 - 0.16, x1 - 0.05, y1 - 0.11, tuple(int(v) for v in np.clip(base * 0.55, 0, 255)))
    frame = tuple(int(v) for v in np.clip(base * 0.75, 0, 255))
    c.rect(0.04, 0.06, 0.96, 0.94, frame, 6)
    return c.img


def _rough_cast(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Render with grain of a few pixels, from a tiled patch (cheap at 12 MP)."""
    h, w = img.shape[:2]
    t = _NOISE_TILE
    grain = cv2.GaussianBlur(rng.normal(0, 26, (t, t)).astype(np.float32), (0, 0), 1.2)
    field = np.tile(grain, (h // t + 1, w // t + 1))[:h, :w]
    return np.clip(img.astype(np.float32) + field[..., None], 0, 255).astype(np.uint8)


def _knit_stitch(unit: float) -> np.ndarray:
    """One knit stitch (a V of two slanted loops) as a 0..1 mask; tiled, it is the knit."""
    side = max(6, int(round(14 * unit)))
    mask = np.zeros((side, side), np.float32)
    thick = max(1, side // 5)
    cv2.line(mask, (1, 1), (side // 2, side - 2), 1.0, thick, cv2.LINE_AA)
    cv2.line(mask, (side - 2, 1), (side // 2, side - 2), 1.0, thick, cv2.LINE_AA)
    return mask


def _knit_block(c: _Canvas, stitch: np.ndarray, colour, x0: float, y0: float, x1: float, y1: float) -> None:
    px0, py0, px1, py1 = c.x(x0), c.y(y0), c.x(x1), c.y(y1)
    h, w = py1 - py0, px1 - px0
    if h <= 0 or w <= 0:
        return
    s = stitch.shape[0]
    mask = np.tile(stitch, (h // s + 1, w // s + 1))[:h, :w, None]
    base = np.array(colour, np.float32)
    # Stitches lighter than the yarn between them: the block is nothing but fine detail.
    block = base * (0.6 + 0.5 * mask)
    c.img[py0:py1, px0:px1] = np.clip(block, 0, 255).astype(np.uint8)


def _facade(c: _Canvas, bottom: float) -> None:
    """Stone courses with staggered joints: long straight horizontals and short verticals."""
    base = c.img[0, 0].astype(int)
    joint = tuple(int(v) for v in np.clip(base - 28, 0, 255))
    course = 0.045
    for row, y in enumerate(np.arange(0.0, 1.0, course)):
        c.line(0, y, 1, y, joint, 3)
        offset = 0.06 if row % 2 else 0.0
        for x in np.arange(offset, 1.0, 0.12):
            c.line(x, y, x, y + course, joint, 3)
    # A lighter stone sill under the window.
    sill = tuple(int(v) for v in np.clip(base + 30, 0, 255))
    c.rect(0.03, bottom, 0.97, bottom + 0.03, sill)
    c.line(0.03, bottom + 0.03, 0.97, bottom + 0.03, joint, 5)


def _sign_band(c: _Canvas, rng: np.random.Generator, x0: float, x1: float, y0: float, y1: float) -> None:
    c.rect(x0, y0, x1, y1, _pick(rng, _FASCIAS))
    trim = _pick(rng, _LETTERING)
    c.rect(x0, y0, x1, y1, trim, 8)
    name = _SHOP_NAMES[int(rng.integers(len(_SHOP_NAMES)))]
    c.text(name, x0 + 0.12, x1 - 0.12, y0 + (y1 - y0) * 0.75, trim, (y1 - y0) * 0.55)


def _interior(c: _Canvas, rng: np.random.Generator, left: float, right: float, top: float, bottom: float, layout) -> None:
    c.rect(left, top, right, bottom, _pick(rng, _BACK_WALLS))
    # Spotlights on the ceiling, and a wooden platform the mannequins stand on.
    for x in np.linspace(left + 0.08, right - 0.08, 5):
        c.ellipse(float(x), top + 0.02, 0.018, 0.008, (255, 250, 235))
    platform = bottom - 0.09
    c.rect(left, platform, right, bottom, (150, 108, 72))
    c.line(left, platform, right, platform, (96, 66, 42), 6)

    span = right - left
    mannequins, (poster_left, poster_right), (shelves_left, shelves_right) = layout
    for i, share in enumerate(mannequins):
        _mannequin(c, rng, left + span * share, platform, 0.40 + float(rng.uniform(-0.02, 0.03)), i)
    _poster(c, rng, left + span * poster_left, top + 0.10, left + span * poster_right, platform - 0.06)
    _shelves(c, rng, left + span * shelves_left, top + 0.12, min(left + span * shelves_right, right - 0.03), platform)


def _mannequin(c: _Canvas, rng: np.random.Generator, cx: float, base: float, tall: float, index: int) -> None:
    skin = (238, 234, 228) if index % 2 == 0 else (60, 58, 56)
    garment = _pick(rng, _GARMENTS)
    lower = _pick(rng, _GARMENTS)
    r = tall / 16  # head radius in height units; widths are corrected for the aspect ratio
    ax = c.h / c.w
    head_y = base - tall + r
    shoulder_y = head_y + r * 1.9
    waist_y = shoulder_y + tall * 0.30
    hem_y = waist_y + tall * 0.33
    c.line(cx, base - tall * 0.30, cx, base, (120, 120, 124), 10)  # stand pole
    c.ellipse(cx, base - 0.004, 0.04 * ax, 0.008, (90, 90, 94))  # stand base
    c.ellipse(cx, head_y, r * ax, r * 1.15, skin)
    c.line(cx, head_y + r, cx, shoulder_y, skin, 18)
    sw = r * 2.3 * ax
    c.poly([(cx - sw, shoulder_y), (cx + sw, shoulder_y), (cx + sw * 0.7, waist_y), (cx - sw * 0.7, waist_y)], garment)
    c.poly([(cx - sw * 0.7, waist_y), (cx + sw * 0.7, waist_y), (cx + sw * 1.2, hem_y), (cx - sw * 1.2, hem_y)], lower)
    for side in (-1, 1):
        c.line(cx + side * sw, shoulder_y + 0.01, cx + side * sw * 1.35, waist_y + 0.03, skin, 16)
        c.line(cx + side * sw * 0.45, hem_y, cx + side * sw * 0.5, base - tall * 0.10, skin, 18)


def _poster(c: _Canvas, rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float) -> None:
    c.rect(x0, y0, x1, y1, (250, 250, 248))
    c.rect(x0, y0, x1, y1, (40, 40, 40), 4)
    pad_x, pad_y = (x1 - x0) * 0.06, (y1 - y0) * 0.04
    ix0, iy0, ix1, iy1 = x0 + pad_x, y0 + pad_y, x1 - pad_x, y0 + (y1 - y0) * 0.55
    # The artwork: a two-colour gradient with a disc, drawn small and scaled up (smooth, cheap).
    a, b = np.array(_pick(rng, _GARMENTS), float), np.array(_pick(rng, _PRODUCTS), float)
    ramp = np.linspace(0, 1, 64)[:, None, None]
    art = (a * (1 - ramp) + b * ramp).astype(np.uint8).repeat(16, axis=1)
    px0, py0, px1, py1 = c.x(ix0), c.y(iy0), c.x(ix1), c.y(iy1)
    c.img[py0:py1, px0:px1] = cv2.resize(art, (px1 - px0, py1 - py0), interpolation=cv2.INTER_LINEAR)
    c.ellipse((ix0 + ix1) / 2, (iy0 + iy1) / 2, (ix1 - ix0) * 0.22, (iy1 - iy0) * 0.28, (250, 240, 220))
    # Headline and body copy as bars of word-like lengths.
    ink = (30, 30, 34)
    y = iy1 + pad_y
    c.rect(ix0, y, ix0 + (ix1 - ix0) * 0.8, y + (y1 - y0) * 0.05, ink)
    y += (y1 - y0) * 0.09
    line_h = (y1 - y0) * 0.018
    while y < y1 - pad_y * 2:
        x = ix0
        while True:
            word = (ix1 - ix0) * float(rng.uniform(0.05, 0.2))
            if x + word > ix1:
                break
            c.rect(x, y, x + word, y + line_h, ink)
            x += word + (ix1 - ix0) * 0.025
        y += line_h * 2.2


def _shelves(c: _Canvas, rng: np.random.Generator, x0: float, y0: float, x1: float, y1: float) -> None:
    for y in np.linspace(y0, y1 - 0.02, 4)[1:]:
        x = x0 + 0.005
        while True:
            w = float(rng.uniform(0.015, 0.04))
            if x + w > x1 - 0.005:
                break
            h = float(rng.uniform(0.04, 0.09))
            colour = _pick(rng, _PRODUCTS)
            c.rect(x, y - h, x + w, y, colour)
            c.rect(x + w * 0.2, y - h * 0.7, x + w * 0.8, y - h * 0.45, (245, 245, 240))  # label
            x += w + float(rng.uniform(0.003, 0.012))
        c.rect(x0, y, x1, y + 0.012, (110, 84, 60))  # the plank


def _glass_reflections(c: _Canvas, rng: np.random.Generator, left: float, right: float, top: float, bottom: float) -> None:
    """Soft diagonal bands of sky reflected in the pane, blended over the interior."""
    x0, y0, x1, y1 = c.x(left), c.y(top), c.x(right), c.y(bottom)
    roi = c.img[y0:y1, x0:x1]
    overlay = roi.copy()
    h, w = roi.shape[:2]
    for _ in range(3):
        start = float(rng.uniform(0, 1)) * w
        band = float(rng.uniform(0.04, 0.10)) * w
        pts = np.array([[start, 0], [start + band, 0], [start + band - h * 0.6, h], [start - h * 0.6, h]], np.int32)
        cv2.fillPoly(overlay, [pts], (235, 242, 250), cv2.LINE_AA)
    cv2.addWeighted(roi, 0.8, overlay, 0.2, 0, dst=roi)


def _window_frame(c: _Canvas, rng: np.random.Generator, left: float, right: float, top: float, bottom: float) -> None:
    frame = _pick(rng, _FASCIAS)
    c.rect(left, top, right, bottom, frame, 40)
    transom = top + 0.07
    c.line(left, transom, right, transom, frame, 24)
    for x in np.linspace(left, right, 4)[1:-1]:
        c.line(float(x), top, float(x), bottom, frame, 24)
    # A small opening-hours sticker on the glass.
    c.rect(right - 0.09, bottom - 0.20, right - 0.03, bottom - 0.13, (250, 250, 250))
    c.text("OPEN", right - 0.088, right - 0.032, bottom - 0.155, (200, 30, 30), 0.03)


def _pavement(c: _Canvas, kerb: float) -> None:
    c.rect(0, kerb, 1, 1, (126, 124, 120))
    c.line(0, kerb, 1, kerb, (70, 70, 70), 8)
    for x in np.arange(0.05, 1.0, 0.1):
        c.line(float(x), kerb, float(x), 1, (100, 100, 98), 4)


# --- the camera ----------------------------------------------------------------------------


_SCENES = {"window": _draw_scene, "textured": _draw_textured_scene, "flat": _draw_flat_scene}


def _rotate_filling_frame(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate about the centre, zoomed just enough that no empty corner shows."""
    h, w = img.shape[:2]
    a = math.radians(abs(degrees))
    zoom = max((w * math.cos(a) + h * math.sin(a)) / w, (w * math.sin(a) + h * math.cos(a)) / h)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, zoom)
    return cv2.warpAffine(img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _expose(img: np.ndarray, brightness: float, vignetting: float) -> np.ndarray:
    """Multiply by the exposure and a radial fall-off (computed small, scaled up: it is smooth)."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[-1:1:48j, -1:1:64j]
    falloff = 1.0 - vignetting * np.clip((xx**2 + yy**2) / 2.0, 0, 1)
    gain = cv2.resize((falloff * 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    gain = cv2.merge([gain, gain, gain])
    return cv2.multiply(img, gain, scale=brightness / 255.0)


def _shift_exposure(img: np.ndarray, ev: float) -> np.ndarray:
    """Scale linear light by 2**ev (sRGB in and out, through a lookup table)."""
    levels = np.arange(256, dtype=np.float64) / 255.0
    shifted = np.clip(levels**2.2 * 2.0**ev, 0.0, 1.0) ** (1 / 2.2)
    return cv2.LUT(img, np.round(shifted * 255).astype(np.uint8))


def _add_sensor_noise(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Mostly luminance noise with a little chroma, from a tiled patch (fast at 12 MP)."""
    h, w = img.shape[:2]
    t = _NOISE_TILE
    luma = rng.normal(0, sigma, (t, t, 1))
    chroma = rng.normal(0, sigma * 0.35, (t, t, 3))
    patch = np.round(luma + chroma).astype(np.int16)
    reps = (h // t + 2, w // t + 2, 1)
    dy, dx = (int(v) for v in rng.integers(0, t, 2))
    noise = np.tile(patch, reps)[dy : dy + h, dx : dx + w]
    return cv2.add(img, noise, dtype=cv2.CV_8U)
