"""OCR runtime on real pixels: text rendered with Pillow on plain and photo backgrounds, flat and
warped in perspective into a larger image. Accuracy floors are measured on a fixed seeded set."""

from __future__ import annotations

import functools
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from chalicelib.vision import ocr
from chalicelib.vision.inference import Models

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansCondensed-Bold.ttf")
PHRASES = (
    "SALDI DI FINE STAGIONE",
    "Nuova collezione",
    "Sconti fino al 50%",
    "Prezzo 29,90",
    "Offerta valida fino al 31 marzo",
    "NEW ARRIVALS",
    "Summer Sale",
    "Solo online",
    "Tutto a 9.99",
    "Collezione Primavera Estate",
    "Black Friday",
    "Made in Italy",
    "Free shipping over 50",
    "Limited edition",
    "Promo 3x2",
    "Ingresso libero",
)


def font(size: int, name: str = "DejaVuSans-Bold.ttf") -> ImageFont.ImageFont:
    path = FONT_DIR / name
    return ImageFont.truetype(str(path), size) if path.is_file() else ImageFont.load_default(size=size)


@functools.cache
def models() -> Models:
    return Models(threads=1)


def _background(rng: random.Random, kind: str, size: tuple[int, int]) -> Image.Image:
    width, height = size
    if kind == "plain":
        return Image.new("RGB", size, tuple(rng.randint(215, 255) for _ in range(3)))
    if kind == "gradient":
        ramp = np.linspace(200, 255, width, dtype=np.float32)[None, :, None]
        tint = np.array([rng.uniform(0.85, 1.0) for _ in range(3)], np.float32)
        return Image.fromarray(np.broadcast_to(ramp * tint, (height, width, 3)).astype(np.uint8))
    from skimage import (
        data,  # a real photo, lightened under the text band like a poster's
    )

    photo = getattr(data, kind)()
    photo = cv2.resize(photo, size, interpolation=cv2.INTER_LINEAR)
    return Image.fromarray(photo)


def text_image(seed: int, size: tuple[int, int] = (800, 480)) -> tuple[np.ndarray, list[str]]:
    """An image with 2-3 lines of text, and the lines drawn."""
    rng = random.Random(seed)
    kind = rng.choice(["plain", "gradient", "astronaut", "coffee", "chelsea"])
    image = _background(rng, kind, size)
    draw = ImageDraw.Draw(image)
    lines, y = [], 30
    for _ in range(rng.randint(2, 3)):
        text = rng.choice(PHRASES)
        typeface = font(rng.randint(34, 56), rng.choice(FONT_FILES))
        left, _, right, bottom = draw.textbbox((0, 0), text, font=typeface)
        x = rng.randint(20, max(21, size[0] - (right - left) - 20))
        if kind not in ("plain", "gradient"):  # a light band behind text on a photo
            draw.rectangle((x - 14, y - 10, x + right - left + 14, y + bottom + 10), fill=(245, 242, 235))
        dark = tuple(rng.randint(0, 90) for _ in range(3))
        draw.text((x, y), text, font=typeface, fill=dark)
        lines.append(text)
        y += bottom + rng.randint(40, 70)
        if y > size[1] - 70:
            break
    return np.asarray(image), lines


def char_accuracy(read: list[str], truth: list[str]) -> float:
    predicted, expected = " ".join(" ".join(read).split()), " ".join(" ".join(truth).split())
    return 1.0 - Levenshtein.distance(predicted, expected) / len(expected)


def warp_into(rgb: np.ndarray, corners: np.ndarray, canvas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paste ``rgb`` into ``canvas`` with its corners at ``corners``; returns the image and the homography."""
    h, w = rgb.shape[:2]
    homography = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners.astype(np.float32))
    size = (canvas.shape[1], canvas.shape[0])
    warped = cv2.warpPerspective(rgb, homography, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), homography, size, flags=cv2.INTER_NEAREST)
    out = canvas.copy()
    out[mask > 0] = warped[mask > 0]
    return out, homography


SEEDS = range(12)


@pytest.fixture(scope="module")
def readings():
    return [(ocr.read_text(text_image(seed)[0], models()), text_image(seed)[1]) for seed in SEEDS]


def test_reads_rendered_text_on_plain_and_photo_backgrounds(readings):
    accuracies = [char_accuracy([line.text for line in lines], truth) for lines, truth in readings]
    # Measured: mean 0.991, worst image 0.947 (int8 detector, fp32 recogniser); the spaces PP-OCR
    # drops between Latin words count as errors here.
    assert np.mean(accuracies) >= 0.96, accuracies
    assert min(accuracies) >= 0.90, accuracies


def test_lines_have_quads_words_and_confidence_in_image_coordinates(readings):
    lines, _ = readings[0]
    assert lines
    for line in lines:
        assert line.quad.shape == (4, 2) and line.quad.dtype == np.float32
        assert 0.5 <= line.confidence <= 1.0
        assert line.words and "".join(w.text for w in line.words) == line.text.replace(" ", "")
        # Words lie inside the line, left to right.
        lefts = [w.quad[:, 0].min() for w in line.words]
        assert lefts == sorted(lefts)
        assert all(
            line.quad[:, 0].min() - 2 <= w.quad[:, 0].min() and w.quad[:, 0].max() <= line.quad[:, 0].max() + 2
            for w in line.words
        )


def test_word_boxes_follow_the_words():
    image = Image.new("RGB", (900, 160), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    typeface = font(52)
    words = ["Prezzo", "speciale", "oggi"]
    x, truth = 30, {}
    for word in words:
        left, _, right, _ = draw.textbbox((x, 50), word, font=typeface)
        draw.text((x, 50), word, font=typeface, fill=(10, 10, 10))
        truth[word.lower()] = (left + right) / 2
        x = right + 40
    (line,) = ocr.read_text(np.asarray(image), models())
    found = {w.text.lower(): w.quad[:, 0].mean() for w in line.words}
    for word, centre in truth.items():
        assert abs(found[word] - centre) < 25, (word, found, truth)


def test_reads_text_warped_in_perspective_into_a_larger_photo():
    from skimage import data

    poster, truth = text_image(3, (640, 400))
    canvas = cv2.resize(data.rocket(), (1600, 1200))
    corners = np.float32([[500, 300], [1150, 360], [1130, 760], [520, 800]])
    photo, _ = warp_into(poster, corners, canvas)
    lines = ocr.read_text(photo, models())
    assert char_accuracy([line.text for line in lines if _inside(line.quad, corners)], truth) >= 0.85
    # Quads are in the photo's pixels: every text line lies on the poster.
    for line in lines:
        if any(t.replace(" ", "").lower() in line.text.replace(" ", "").lower() for t in truth):
            assert _inside(line.quad, corners)


def _inside(quad: np.ndarray, polygon: np.ndarray, slack: float = 8.0) -> bool:
    contour = polygon.reshape(-1, 1, 2).astype(np.float32)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -slack for x, y in quad)


def test_vertical_and_upside_down_text():
    image = Image.new("RGB", (700, 200), (255, 255, 255))
    ImageDraw.Draw(image).text((30, 60), "VETRINA APERTA", font=font(60), fill=(0, 0, 0))
    upright = np.asarray(image)
    upside_down = np.ascontiguousarray(upright[::-1, ::-1])
    (line,) = ocr.read_text(upside_down, models(), classify=True)
    assert line.text.replace(" ", "") == "VETRINAAPERTA"
    # The quad follows the reading direction: its "top-left" is at the bottom right of the image.
    assert line.quad[0, 0] > line.quad[1, 0] and line.quad[0, 1] > line.quad[3, 1]
    vertical = np.ascontiguousarray(np.rot90(upright))  # reads bottom to top
    (line,) = ocr.read_text(vertical, models())
    assert line.text.replace(" ", "") == "VETRINAAPERTA"


def test_nothing_to_read():
    assert ocr.read_text(np.full((300, 400, 3), 230, np.uint8), models()) == []
