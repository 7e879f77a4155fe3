"""Labelled synthetic window photos: campaign posters placed in a shop window, with known truth.

For the artwork tests, the accuracy harness and the demo. ``poster`` draws a campaign artwork
(picture, headline, price, brand frame, legal line) from a ``template``: posters of one brand
share the frame, fonts, logo band and legal line and differ only in picture and headline, which
is exactly the case a matcher must not confuse. ``window_scene`` warps posters with a perspective
homography into a real photograph (scikit-image's bundled photos, upscaled as the window's
interior) or into ``synthetic.window_photo``, then applies the defects a store's photo has:
occlusion (a plain mannequin-like figure), a person (a textured figure standing in front of the
poster and crossing its edge), glass reflections, glare, colour cast, blur, darkness, tilt, EXIF
rotation. The labels
say which artworks are in the photo and where (corner quads in upright photo pixels).

The same seed always gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from chalicelib.devtools import synthetic

POSTER_SIZE = (600, 840)  # (width, height) of a poster file, portrait A-series-like
DEFECTS = ("occlusion", "reflection", "glare", "colour_cast", "blur", "dark", "tilt", "exif_rotation", "person")
# The defects labelled_set mixes in: its scenes stay the ones measured before "person" existed.
_MIXED_DEFECTS = DEFECTS[:8]
_CLOTHES_SOURCES = ("astronaut", "coffee", "chelsea", "rocket")  # textures for a person's clothes

_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# Everything a brand's posters share. Picture and headline are what differ between them.
TEMPLATES: dict[str, dict[str, Any]] = {
    "brand-a": {
        "brand": "AURORA",
        "frame": (18, 52, 110),
        "paper": (248, 246, 240),
        "ink": (18, 24, 40),
        "accent": (230, 70, 50),
        "headline_font": "DejaVuSans-Bold.ttf",
        "body_font": "DejaVuSans.ttf",
        "legal": "Offer valid while stocks last. Aurora S.p.A. - see aurora.example for terms.",
    },
    "brand-b": {
        "brand": "Verde & Co",
        "frame": (32, 96, 60),
        "paper": (236, 240, 228),
        "ink": (30, 40, 30),
        "accent": (240, 190, 40),
        "headline_font": "DejaVuSerif-Bold.ttf",
        "body_font": "DejaVuSerif.ttf",
        "legal": "Prices include VAT. Verde & Co Ltd, registered in Milan. Terms apply.",
    },
}

_PICTURE_SOURCES = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field", "retina")
_BACKDROP_SOURCES = ("coffee", "chelsea", "astronaut", "rocket", "camera", "immunohistochemistry")
HEADLINES = (
    "Summer Sale",
    "New Season",
    "Back to School",
    "Winter Warmers",
    "Flash Deals",
    "Spring Looks",
    "Gift Ideas",
    "Autumn Edit",
    "Weekend Only",
    "Fresh Arrivals",
    "Last Chance",
    "Best Sellers",
)
PRICES = ("-30%", "-50%", "9.99", "19.90", "2 for 1", "from 5.00", "-20%", "49.00")


@dataclass(frozen=True)
class Scene:
    jpeg: bytes
    # {"artwork_present": {name: bool}, "quads": {name: [[x, y] * 4]} (upright photo pixels,
    #  TL, TR, BR, BL), "visible": {name: share}, "size": (w, h), "defects": [...],
    #  "distractors": int, "backdrop": str}
    labels: dict[str, Any]


# --- sources ------------------------------------------------------------------------------------


@functools.cache
def _skimage_photo(name: str) -> np.ndarray:
    from skimage import data  # only the scene generator needs scikit-image

    img = getattr(data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    img = img[..., :3].astype(np.uint8)
    img.setflags(write=False)
    return img


@functools.cache
def _font(file: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _FONT_DIR / file
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


# --- posters ------------------------------------------------------------------------------------


def _picture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """The poster's picture: a crop of a real photo with a few bold graphic shapes over it."""
    src = _skimage_photo(_PICTURE_SOURCES[int(rng.integers(len(_PICTURE_SOURCES)))])
    sh, sw = src.shape[:2]
    crop_w = int(sw * rng.uniform(0.55, 0.9))
    crop_h = min(sh, int(crop_w * height / width))
    x0, y0 = int(rng.integers(0, sw - crop_w + 1)), int(rng.integers(0, sh - crop_h + 1))
    pic = cv2.resize(
        np.ascontiguousarray(src[y0 : y0 + crop_h, x0 : x0 + crop_w]), (width, height), interpolation=cv2.INTER_CUBIC
    )
    for _ in range(int(rng.integers(2, 5))):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        if rng.random() < 0.5:
            cv2.circle(pic, centre, int(rng.integers(width // 12, width // 5)), colour, -1, cv2.LINE_AA)
        else:
            pts = rng.integers(0, [width, height], (3, 2)).astype(np.int32)
            cv2.fillPoly(pic, [pts], colour, cv2.LINE_AA)
    return pic


def _centred(draw: ImageDraw.ImageDraw, text: str, font, cx: float, y: float, fill) -> None:
    left, top, right, _ = draw.textbbox((0, 0), text, font=font)
    draw.text((cx - (right - left) / 2 - left, y - top), text, font=font, fill=fill)


def _fitted_font(draw: ImageDraw.ImageDraw, text: str, file: str, max_width: int, size: int):
    while size > 10:
        font = _font(file, size)
        left, _, right, _ = draw.textbbox((0, 0), text, font=font)
        if right - left <= max_width:
            return font
        size -= 4
    return _font(file, size)


def poster_rgb(headline: str, price: str, seed: int, template: str = "brand-a") -> np.ndarray:
    """The poster as an RGB array (POSTER_SIZE), see ``poster``."""
    t = TEMPLATES[template]
    w, h = POSTER_SIZE
    rng = np.random.default_rng(seed)
    canvas = Image.new("RGB", (w, h), t["paper"])
    draw = ImageDraw.Draw(canvas)
    # Shared by the brand: frame, logo band, legal line.
    border = 22
    draw.rectangle([0, 0, w - 1, h - 1], outline=t["frame"], width=border)
    draw.rectangle([0, 0, w - 1, 110], fill=t["frame"])
    _centred(draw, t["brand"], _font(t["headline_font"], 58), w / 2, 26, t["paper"])
    draw.line([(border + 20, h - 78), (w - border - 20, h - 78)], fill=t["frame"], width=3)
    legal_font = _fitted_font(draw, t["legal"], t["body_font"], w - 2 * border - 40, 16)
    _centred(draw, t["legal"], legal_font, w / 2, h - 62, t["ink"])
    # What differs: the picture, the headline and the price.
    px0, py0, px1, py1 = border + 18, 130, w - border - 18, 560
    canvas.paste(Image.fromarray(_picture(rng, px1 - px0, py1 - py0)), (px0, py0))
    headline_font = _fitted_font(draw, headline, t["headline_font"], w - 2 * border - 40, 70)
    _centred(draw, headline, headline_font, w / 2, 585, t["ink"])
    cx, cy, r = w - border - 95, 505, 78
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=t["accent"], outline=t["paper"], width=5)
    _centred(draw, price, _fitted_font(draw, price, t["headline_font"], 2 * r - 24, 44), cx, cy - 24, t["paper"])
    _centred(draw, "in store and online", _font(t["body_font"], 26), w / 2, 680, t["ink"])
    return np.asarray(canvas)


def poster(name: str, headline: str, price: str, seed: int, template: str = "brand-a") -> bytes:
    """A campaign artwork as PNG bytes. ``name`` only seeds the layout's randomness with ``seed``."""
    mixed_seed = seed * 1_000_003 + sum(name.encode())
    out = io.BytesIO()
    Image.fromarray(poster_rgb(headline, price, mixed_seed, template)).save(out, "PNG")
    return out.getvalue()


def decode_rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# --- the window ---------------------------------------------------------------------------------


def _backdrop(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, str]:
    width, height = size
    if rng.random() < 0.35:
        return synthetic.window_photo(int(rng.integers(1 << 30)), size, noise_sigma=0.0, vignetting=0.1), "synthetic"
    name = _BACKDROP_SOURCES[int(rng.integers(len(_BACKDROP_SOURCES)))]
    src = _skimage_photo(name)
    img = cv2.resize(src, (width, height), interpolation=cv2.INTER_CUBIC)
    # A shopfront around the real photo (the interior seen through the glass): wall and frame.
    frame = int(0.04 * height)
    cv2.rectangle(img, (0, 0), (width - 1, height - 1), (60, 58, 62), frame)
    cv2.rectangle(img, (0, 0), (width - 1, int(0.08 * height)), (40, 44, 70), -1)
    return img, name


def _poster_quad(
    rng: np.random.Generator,
    slot: tuple[float, float],
    size: tuple[int, int],
    heights: tuple[float, float] = (0.32, 0.62),
    centres: tuple[float, float] = (0.35, 0.65),
) -> np.ndarray:
    """A perspective quad (TL, TR, BR, BL) for a poster in the horizontal slot (x0, x1 shares),
    its height a share of the photo's in ``heights``, its centre's height in ``centres``."""
    width, height = size
    aspect = POSTER_SIZE[0] / POSTER_SIZE[1]
    slot_w = (slot[1] - slot[0]) * width
    ph = min(rng.uniform(*heights) * height, 0.9 * slot_w / aspect)
    pw = ph * aspect
    cx = (slot[0] + slot[1]) / 2 * width + rng.uniform(-0.1, 0.1) * (slot_w - pw)
    cy = height * rng.uniform(*centres)
    quad = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]])
    # Seen from the side: one vertical edge shorter than the other; plus a little rotation.
    squeeze = rng.uniform(-0.18, 0.18)
    quad[:, 1] *= 1 + squeeze * np.sign(quad[:, 0])
    quad[:, 0] *= 1 - abs(squeeze) * 0.8
    angle = math.radians(rng.uniform(-6, 6))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    quad = quad @ rot.T + rng.uniform(-0.04, 0.04, (4, 2)) * [pw, ph]
    return (quad + [cx, cy]).astype(np.float32)


def _paste(photo: np.ndarray, art: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Warp ``art`` onto ``quad`` of the photo; returns the mask of the pasted pixels."""
    ah, aw = art.shape[:2]
    corners = np.array([[0, 0], [aw, 0], [aw, ah], [0, ah]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, quad)
    h, w = photo.shape[:2]
    x0, y0 = np.floor(quad.min(axis=0)).astype(int).clip(0, [w, h])
    x1, y1 = np.ceil(quad.max(axis=0)).astype(int).clip(0, [w, h])
    if x1 <= x0 or y1 <= y0:
        return np.zeros((h, w), bool)
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    local = shift @ matrix
    warped = cv2.warpPerspective(art, local, (x1 - x0, y1 - y0), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((ah, aw), 255, np.uint8), local, (x1 - x0, y1 - y0), flags=cv2.INTER_NEAREST)
    roi = photo[y0:y1, x0:x1]
    roi[mask > 0] = warped[mask > 0]
    full = np.zeros((h, w), bool)
    full[y0:y1, x0:x1] = mask > 0
    return full


def _occlude(photo: np.ndarray, rng: np.random.Generator, quad: np.ndarray) -> np.ndarray:
    """A mannequin-like figure in front of the poster, covering about a third of it."""
    h, w = photo.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    left_side = rng.random() < 0.5
    x_min, x_max = quad[:, 0].min(), quad[:, 0].max()
    y_min, y_max = quad[:, 1].min(), quad[:, 1].max()
    pw, ph = x_max - x_min, y_max - y_min
    body_w = pw * rng.uniform(0.42, 0.52)
    cx = x_min + body_w * 0.35 if left_side else x_max - body_w * 0.35
    colour = tuple(int(v) for v in rng.integers(20, 200, 3))
    head_r = int(body_w * 0.28)
    cv2.circle(mask, (int(cx), int(y_min + ph * 0.15)), head_r, 255, -1, cv2.LINE_AA)
    body = np.array(
        [
            [cx - body_w / 2, y_min + ph * 0.3],
            [cx + body_w / 2, y_min + ph * 0.3],
            [cx + body_w * 0.4, h],
            [cx - body_w * 0.4, h],
        ],
        np.int32,
    )
    cv2.fillPoly(mask, [body], 255, cv2.LINE_AA)
    shade = np.linspace(0.7, 1.1, w)[None, :, None]
    figure = np.clip(np.array(colour, float) * shade, 0, 255).astype(np.uint8)
    figure = np.broadcast_to(figure, photo.shape)
    photo[mask > 127] = figure[mask > 127]
    return mask > 127


def _person(photo: np.ndarray, rng: np.random.Generator, quad: np.ndarray) -> np.ndarray:
    """A person standing in front of the poster: head, shoulders, body and legs down to the
    bottom of the photo, in textured clothes (a crop of a real photo, shaded), entering the
    poster from one side and hiding roughly 15-35 % of it."""
    h, w = photo.shape[:2]
    x_min, x_max = quad[:, 0].min(), quad[:, 0].max()
    y_min, y_max = quad[:, 1].min(), quad[:, 1].max()
    pw, ph = x_max - x_min, y_max - y_min
    body_w = pw * rng.uniform(0.3, 0.42)
    left_side = rng.random() < 0.5
    # The body's centre sits near the poster's edge, so the person crosses the poster's outline.
    cx = x_min + body_w * rng.uniform(0.05, 0.35) if left_side else x_max - body_w * rng.uniform(0.05, 0.35)
    top = y_min + ph * rng.uniform(0.05, 0.3)
    head_r = body_w * 0.22
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (int(cx), int(top + head_r)), (int(head_r * 0.85), int(head_r)), 0, 0, 360, 255, -1, cv2.LINE_AA)
    neck = top + 2 * head_r
    shoulders = neck + head_r * 0.4
    torso = np.array(
        [
            [cx - head_r * 0.4, neck],
            [cx + head_r * 0.4, neck],
            [cx + body_w / 2, shoulders],
            [cx + body_w * 0.42, h],
            [cx - body_w * 0.42, h],
            [cx - body_w / 2, shoulders],
        ],
        np.int32,
    )
    cv2.fillPoly(mask, [torso], 255, cv2.LINE_AA)
    source = _skimage_photo(_CLOTHES_SOURCES[int(rng.integers(len(_CLOTHES_SOURCES)))])
    sh, sw = source.shape[:2]
    x0, y0 = int(rng.integers(0, sw // 3)), int(rng.integers(0, sh // 3))
    clothes = cv2.resize(np.ascontiguousarray(source[y0:, x0:]), (w, h), interpolation=cv2.INTER_LINEAR)
    shade = np.linspace(0.75, 1.1, w, dtype=np.float32)[None, :, None] * rng.uniform(0.6, 1.0)
    figure = np.clip(clothes.astype(np.float32) * shade, 0, 255).astype(np.uint8)
    hidden = mask > 127
    photo[hidden] = figure[hidden]
    return hidden


def _stand_mannequin(photo: np.ndarray, cx: float, feet: float, plastic: str, tall: float) -> list[int]:
    """A mannequin of chalicelib.devtools.object_scenes (the astronaut as a dressed bust form with
    a plastic head, cut out of her backdrop) pasted with its bottom centre at (cx, feet), shares
    of the photo; its box (x, y, w, h)."""
    from chalicelib.devtools import object_scenes

    h, w = photo.shape[:2]
    scale = tall * h / object_scenes.mannequin_rgb(plastic).shape[0]

    def scaled(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)

    figure, alpha = scaled(object_scenes.mannequin_rgb(plastic)).astype(np.float32), scaled(object_scenes.figure_alpha())
    fh, fw = figure.shape[:2]
    x0, y0 = int(cx * w - fw / 2), int(feet * h - fh)
    x1, y1 = min(w, x0 + fw), min(h, y0 + fh)
    x0c, y0c = max(0, x0), max(0, y0)
    opacity = alpha[y0c - y0 : y1 - y0, x0c - x0 : x1 - x0, None]
    part = figure[y0c - y0 : y1 - y0, x0c - x0 : x1 - x0] * opacity + photo[y0c:y1, x0c:x1] * (1 - opacity)
    photo[y0c:y1, x0c:x1] = np.clip(part, 0, 255).astype(np.uint8)
    return [x0c, y0c, x1 - x0c, y1 - y0c]


def _reflect(photo: np.ndarray, rng: np.random.Generator) -> None:
    """The street mirrored faintly in the glass, with bright diagonal streaks."""
    h, w = photo.shape[:2]
    # Out of focus (the camera focuses through the glass): blurred small, then scaled up.
    street = _skimage_photo(_BACKDROP_SOURCES[int(rng.integers(len(_BACKDROP_SOURCES)))])[:, ::-1]
    street = cv2.resize(cv2.GaussianBlur(street, (0, 0), 1.5), (w, h), interpolation=cv2.INTER_LINEAR)
    alpha = float(rng.uniform(0.18, 0.3))
    cv2.addWeighted(photo, 1 - alpha, street, alpha, 0, dst=photo)
    overlay = photo.copy()
    for _ in range(2):
        start, band = rng.uniform(0, w), rng.uniform(0.03, 0.08) * w
        pts = np.array([[start, 0], [start + band, 0], [start + band - 0.6 * h, h], [start - 0.6 * h, h]], np.int32)
        cv2.fillPoly(overlay, [pts], (245, 248, 252), cv2.LINE_AA)
    cv2.addWeighted(photo, 0.75, overlay, 0.25, 0, dst=photo)


def _glare(photo: np.ndarray, rng: np.random.Generator, near: np.ndarray | None) -> None:
    h, w = photo.shape[:2]
    centre = (
        near.mean(axis=0) + rng.uniform(-0.3, 0.3, 2) * np.ptp(near, axis=0)
        if near is not None
        else rng.uniform(0, 1, 2) * [w, h]
    )
    small = np.zeros((h // 8, w // 8), np.float32)
    radius = rng.uniform(0.05, 0.09) * w / 8
    cv2.circle(small, (int(centre[0] / 8), int(centre[1] / 8)), int(radius), 1.0, -1)
    blob = cv2.resize(cv2.GaussianBlur(small, (0, 0), radius * 0.6), (w, h))
    boost = (blob * 255 * 1.6)[..., None]
    np.copyto(photo, np.clip(photo + boost, 0, 255).astype(np.uint8))


def window_scene(
    seed: int,
    artworks: dict[str, bytes],
    present: Sequence[str],
    distractors: Sequence[bytes] = (),
    defects: tuple[str, ...] = (),
    size: tuple[int, int] = (2400, 1800),
    *,
    heights: tuple[float, float] = (0.32, 0.62),
    centres: tuple[float, float] = (0.35, 0.65),
    mannequins: Sequence[tuple[float, float, str]] = (),
    mannequin_height: float = 0.36,
) -> Scene:
    """A JPEG of a window showing the ``present`` artworks (and the distractor posters), labelled.

    At most three posters fit (left, centre, right); ``heights`` and ``centres`` (shares of the
    photo's height) place the present ones. The labels give every pack artwork's presence and
    the quads of the present ones in upright photo pixels (EXIF rotation undone).
    ``mannequins`` stand behind the posters: (centre x, feet y) as shares of the photo and a
    plastic (object_scenes.PLASTICS), ``mannequin_height`` of the photo's height tall; their
    boxes are in the labels' "mannequins" (before any tilt or rotation).
    """
    unknown = set(defects) - set(DEFECTS)
    if unknown:
        raise ValueError(f"unknown defects: {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    photo, backdrop = _backdrop(rng, size)
    photo = np.ascontiguousarray(photo)
    placed = [(name, decode_rgb(artworks[name])) for name in present] + [("", decode_rgb(d)) for d in distractors]
    if len(placed) > 3:
        raise ValueError("at most three posters fit in a window")
    figures = [_stand_mannequin(photo, *placement, mannequin_height) for placement in mannequins]
    slots = [(0.04, 0.35), (0.36, 0.64), (0.65, 0.96)]
    order = rng.permutation(3)
    quads: dict[str, np.ndarray] = {}
    masks: dict[str, np.ndarray] = {}
    for (name, art), slot in zip(placed, order):
        quad = _poster_quad(rng, slots[slot], size, heights, centres) if name else _poster_quad(rng, slots[slot], size)
        mask = _paste(photo, art, quad)
        if name:
            quads[name], masks[name] = quad, mask
    visible = {name: 1.0 for name in quads}
    target = quads[present[0]] if present else None
    for defect, occlude in (("occlusion", _occlude), ("person", _person)):
        if defect in defects and target is not None:
            hidden = occlude(photo, rng, target)
            for name, mask in masks.items():
                visible[name] = round(visible[name] - float((mask & hidden).sum()) / max(1, mask.sum()), 3)
    if "reflection" in defects:
        _reflect(photo, rng)
    if "glare" in defects:
        _glare(photo, rng, target)
    if "colour_cast" in defects:
        gains = [(1.25, 1.0, 0.7), (0.75, 0.95, 1.25), (1.1, 1.2, 0.8)][int(rng.integers(3))]
        photo = cv2.multiply(photo, (*gains, 0.0))
    if "tilt" in defects:
        degrees = float(rng.choice([-1, 1]) * rng.uniform(4, 8))
        matrix = cv2.getRotationMatrix2D((size[0] / 2, size[1] / 2), degrees, 1.0)
        photo = cv2.warpAffine(photo, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        quads = {n: (np.hstack([q, np.ones((4, 1), np.float32)]) @ matrix.T).astype(np.float32) for n, q in quads.items()}
    if "blur" in defects:
        # Out of focus as a store would have to retake it: 5-10 px on a 4000 px wide photo (a 2 px
        # blur on a 12 MP photo cannot be seen on a phone, and is not called blurred).
        photo = cv2.GaussianBlur(photo, (0, 0), float(rng.uniform(5.0, 10.0)) * size[0] / 4000)
    if "dark" in defects:
        photo = cv2.multiply(photo, (0.35, 0.35, 0.35, 0))
    noise = rng.normal(0, 2.0, (256, 256, 3)).astype(np.float32)
    tiled = np.tile(noise, (size[1] // 256 + 1, size[0] // 256 + 1, 1))[: size[1], : size[0]]
    photo = cv2.add(photo, tiled, dtype=cv2.CV_8U)

    orientation = None
    if "exif_rotation" in defects:
        # Stored rotated as a phone held sideways does; the EXIF tag tells the viewer to undo it.
        photo, orientation = np.ascontiguousarray(np.rot90(photo, 1)), 6
    labels = {
        "artwork_present": {name: name in quads for name in artworks},
        "quads": {name: q.round(1).tolist() for name, q in quads.items()},
        "visible": visible,
        "size": tuple(size),
        "defects": list(defects),
        "distractors": len(distractors),
        "backdrop": backdrop,
        "mannequins": figures,
    }
    return Scene(jpeg=synthetic.to_jpeg(photo, quality=88, exif_orientation=orientation), labels=labels)


# --- a fixed labelled mix -----------------------------------------------------------------------


@functools.cache
def campaign_pack() -> dict[str, bytes]:
    """Three campaign artworks: two of the same brand template (the hard case) and one other."""
    return {
        "summer-sale.png": poster("summer-sale.png", "Summer Sale", "-30%", 1, "brand-a"),
        "new-season.png": poster("new-season.png", "New Season", "19.90", 2, "brand-a"),
        "garden-week.png": poster("garden-week.png", "Garden Week", "2 for 1", 3, "brand-b"),
    }


@functools.cache
def _distractor_posters() -> tuple[bytes, ...]:
    """Posters that are not in the pack, most of them of the pack's own templates."""
    specs = [
        ("Flash Deals", "-50%", "brand-a"),
        ("Gift Ideas", "9.99", "brand-a"),
        ("Autumn Edit", "49.00", "brand-b"),
        ("Weekend Only", "-20%", "brand-a"),
        ("Fresh Arrivals", "from 5.00", "brand-b"),
    ]
    return tuple(poster(f"other-{i}.png", head, price, 100 + i, tpl) for i, (head, price, tpl) in enumerate(specs))


def labelled_set(seed: int, n: int, size: tuple[int, int] = (2400, 1800)) -> list[Scene]:
    """``n`` labelled scenes: the pack's artworks present or absent, distractors and defects mixed."""
    pack = campaign_pack()
    names = sorted(pack)
    others = _distractor_posters()
    rng = np.random.default_rng(seed)
    scenes = []
    for _ in range(n):
        k_present = int(rng.choice([0, 1, 1, 2]))
        present = [names[j] for j in rng.permutation(len(names))[:k_present]]
        k_distract = int(rng.integers(0, 3 - k_present + 1))
        distract = [others[j] for j in rng.permutation(len(others))[:k_distract]]
        k_defects = int(rng.choice([0, 1, 1, 2]))
        defects = tuple(str(d) for d in rng.permutation(_MIXED_DEFECTS)[:k_defects])
        scenes.append(window_scene(int(rng.integers(1 << 30)), pack, present, distract, defects, size))
    return scenes
