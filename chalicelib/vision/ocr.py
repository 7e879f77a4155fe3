"""OCR on the PP-OCRv4 ONNX models: detection (DB) → optional 0/180° direction → recognition (CTC).

``read_text(rgb, models)`` returns the lines of text in an RGB image, in reading order, each with
its quad and per-word quads in the coordinates of the image passed in, so a check can point at the
exact words that matched. Pre/post-processing follows models/preprocessing_notes.md; the DB
post-processing is our own numpy/cv2 code (the unclip grows the min-area rectangle, which is what
pyclipper's round offset + minAreaRect gives for a rectangle).

Every crop is made by one perspective transform from its quad to an upright rectangle, with any
rotation (vertical text, 180°) folded into the quad's corner order: mapping a word back to the
image is then that transform's inverse, whatever was rotated.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from chalicelib.vision.inference import Models

# int8 det: 3x smaller and ~25% faster for -0.5 pt character accuracy (models/README.md);
# rec stays fp32 (its int8 variants lost accuracy or speed); cls fp32 is faster than its int8.
DET_MODEL = "ocr_det_ppocrv4_int8"
REC_MODEL = "ocr_rec_ppocrv4"
CLS_MODEL = "ocr_cls_ppocr_mobile_v2"

DET_MAX_SIDE = 960
# DB post-processing, the wheel's parameters (manifest "postprocess").
DB_THRESH, DB_BOX_THRESH, DB_UNCLIP_RATIO, DB_MAX_CANDIDATES, DB_MIN_SIZE = 0.3, 0.5, 1.6, 1000, 3
REC_HEIGHT = 48
# The wheel pads every line to at least 320 px and batches 6; on one thread both cost time for
# nothing: measured on 40 rendered images, one line per run at its own width (a multiple of 8)
# read as well (char accuracy 0.991 vs 0.989) in 195 vs 252 ms per image.
REC_MIN_WIDTH, REC_BATCH = 8, 1
REC_STRIDE = 8  # input pixels per CTC time step (T = W / 8)
MIN_LINE_CONFIDENCE = 0.5  # the wheel's text_score: below it a "line" is mostly noise
CLS_WIDTH, CLS_FLIP_PROB, CLS_BATCH = 192, 0.9, 6
VERTICAL_RATIO = 1.5  # a crop this much taller than wide is vertical text: turned 90°


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    quad: np.ndarray  # (4, 2) float32, TL, TR, BR, BL in the text's own direction


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float  # mean probability of the kept CTC steps
    quad: np.ndarray  # (4, 2) float32, TL, TR, BR, BL in the text's own direction
    words: tuple[Word, ...]


@dataclass
class _Crop:
    quad: np.ndarray  # image corners that map to the crop's TL, TR, BR, BL
    pixels: np.ndarray  # BGR


def _normalise(bgr: np.ndarray) -> np.ndarray:
    """HWC uint8 BGR → CHW float32 in -1..1, as all three OCR models expect."""
    return (bgr.astype(np.float32) * (2.0 / 255.0) - 1.0).transpose(2, 0, 1)


@functools.lru_cache(maxsize=4)
def _keys(path: str) -> tuple[str, ...]:
    """CTC class → character: 0 blank, 1..N the keys file, N+1 a space."""
    with open(path, encoding="utf-8") as f:
        entries = f.read().split("\n")[:-1]  # not stripped: an entry may be whitespace-like
    return ("", *entries, " ")


# --- detection ------------------------------------------------------------------------------


def _order_corners(points: np.ndarray) -> np.ndarray:
    total, diff = points.sum(1), points[:, 1] - points[:, 0]
    return np.array([points[total.argmin()], points[diff.argmin()], points[total.argmax()], points[diff.argmax()]], np.float32)


def _db_boxes(prob: np.ndarray, scale_x: float, scale_y: float, width: int, height: int) -> list[np.ndarray]:
    """Quads (TL, TR, BR, BL) of text regions from the DB probability map, in image pixels."""
    mask = cv2.dilate((prob > DB_THRESH).astype(np.uint8) * 255, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    map_h, map_w = prob.shape
    quads = []
    for contour in contours[:DB_MAX_CANDIDATES]:
        centre, (rect_w, rect_h), angle = cv2.minAreaRect(contour)
        if min(rect_w, rect_h) < DB_MIN_SIZE:
            continue
        corners = cv2.boxPoints((centre, (rect_w, rect_h), angle))
        x0, y0 = np.clip(np.floor(corners.min(0)).astype(int), 0, [map_w - 1, map_h - 1])
        x1, y1 = np.clip(np.ceil(corners.max(0)).astype(int), 0, [map_w - 1, map_h - 1])
        inside = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
        cv2.fillPoly(inside, [np.round(corners - [x0, y0]).astype(np.int32)], 1)
        if cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], inside)[0] < DB_BOX_THRESH:
            continue
        # The map marks a shrunk text kernel: grow it back by d = area * ratio / perimeter.
        grow = rect_w * rect_h * DB_UNCLIP_RATIO / (2.0 * (rect_w + rect_h))
        grown = (rect_w + 2 * grow, rect_h + 2 * grow)
        if min(grown) < DB_MIN_SIZE + 2:
            continue
        corners = cv2.boxPoints((centre, grown, angle)) * np.array([scale_x, scale_y], np.float32)
        corners[:, 0] = np.clip(corners[:, 0], 0, width)
        corners[:, 1] = np.clip(corners[:, 1], 0, height)
        quad = _order_corners(corners)
        if np.linalg.norm(quad[0] - quad[1]) <= 3 or np.linalg.norm(quad[0] - quad[3]) <= 3:
            continue
        quads.append(quad)
    quads.sort(key=lambda q: (round(float(q[:, 1].min()) / 10), float(q[0, 0])))
    return quads


def detect(bgr: np.ndarray, models: Models, max_side: int = DET_MAX_SIDE) -> list[np.ndarray]:
    """Text quads in ``bgr`` pixels; the image goes in with its long side at most ``max_side``."""
    height, width = bgr.shape[:2]
    ratio = min(1.0, max_side / max(height, width))  # never upscale
    det_h = max(32, round(height * ratio / 32) * 32)
    det_w = max(32, round(width * ratio / 32) * 32)
    if det_h > max_side or det_w > max_side:  # rounding up may pass the cap: take the step below
        det_h, det_w = min(det_h, max_side // 32 * 32), min(det_w, max_side // 32 * 32)
    resized = cv2.resize(bgr, (det_w, det_h), interpolation=cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR)
    prob = models.session(DET_MODEL).run(None, {"x": _normalise(resized)[None]})[0][0, 0]
    return _db_boxes(prob, width / det_w, height / det_h, width, height)


# --- crops and direction --------------------------------------------------------------------


def _crop(bgr: np.ndarray, quad: np.ndarray) -> _Crop:
    width = round(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[3] - quad[2])))
    height = round(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    if height >= VERTICAL_RATIO * width:
        # Vertical text, read bottom-to-top (a 90° counter-clockwise turn): the crop's TL is the
        # quad's TR.
        quad, width, height = quad[[1, 2, 3, 0]], height, width
    return _Crop(quad, _warp(bgr, quad, max(width, 1), max(height, 1)))


def _warp(bgr: np.ndarray, quad: np.ndarray, width: int, height: int) -> np.ndarray:
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    transform = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(bgr, transform, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _turn_upside_down(crops: list[_Crop], models: Models, only_tall: bool) -> None:
    """Turn crops the direction classifier finds upside down (in place).

    Shop-window text is almost never upside down, so by default only crops that were turned from
    vertical (where the reading direction is a guess) are classified.
    """
    chosen = [c for c in crops if not only_tall or _was_vertical(c)]
    if not chosen:
        return  # the classifier is not even loaded
    session = models.session(CLS_MODEL)
    for start in range(0, len(chosen), CLS_BATCH):
        batch = chosen[start : start + CLS_BATCH]
        tensor = np.zeros((len(batch), 3, REC_HEIGHT, CLS_WIDTH), np.float32)
        for i, crop in enumerate(batch):  # the classifier's fixed input: 48 x 192, zero-padded
            h, w = crop.pixels.shape[:2]
            resized_w = min(CLS_WIDTH, math.ceil(REC_HEIGHT * w / h))
            tensor[i, :, :, :resized_w] = _normalise(cv2.resize(crop.pixels, (resized_w, REC_HEIGHT)))
        probs = session.run(None, {"x": tensor})[0]
        for crop, p in zip(batch, probs):
            if int(p.argmax()) == 1 and float(p[1]) > CLS_FLIP_PROB:
                crop.pixels = np.ascontiguousarray(crop.pixels[::-1, ::-1])
                crop.quad = crop.quad[[2, 3, 0, 1]]


def _was_vertical(crop: _Crop) -> bool:
    # After the 90° turn, the crop's top edge runs down the image: steeper than 45°.
    dx, dy = crop.quad[1] - crop.quad[0]
    return abs(dy) > abs(dx)


# --- recognition ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    text: str
    confidence: float
    # Per kept character: (first, last) CTC step and probability; a space has its own step.
    steps: tuple[tuple[int, int, float], ...]
    input_width: int  # pixels of the crop once resized to the model's height


def _decode(probs: np.ndarray, keys: tuple[str, ...], input_width: int) -> _Reading:
    """CTC greedy decoding: argmax per step, repeats merged, blanks dropped."""
    best, best_p = probs.argmax(1), probs.max(1)
    chars: list[str] = []
    steps: list[tuple[int, int, float]] = []
    previous = 0
    for t, (index, p) in enumerate(zip(best.tolist(), best_p.tolist())):
        if index != 0 and index == previous:
            first, _, p0 = steps[-1]
            steps[-1] = (first, t, max(p0, p))
        elif index != 0:
            chars.append(keys[index] if index < len(keys) else "")
            steps.append((t, t, p))
        previous = index
    confidence = float(np.mean([s[2] for s in steps])) if steps else 0.0
    return _Reading("".join(chars), confidence, tuple(steps), input_width)


def recognise(crops: list[np.ndarray], models: Models) -> list[_Reading]:
    """Read BGR line crops, batched by similar aspect so little width is padding."""
    session, keys = models.session(REC_MODEL), _keys(_keys_path(models))
    widths = [math.ceil(REC_HEIGHT * c.shape[1] / max(c.shape[0], 1)) for c in crops]
    order = np.argsort(widths, kind="stable")
    readings: list[_Reading | None] = [None] * len(crops)
    for start in range(0, len(order), REC_BATCH):
        batch = order[start : start + REC_BATCH]
        input_w = max(REC_MIN_WIDTH, max(widths[i] for i in batch))
        input_w = math.ceil(input_w / REC_STRIDE) * REC_STRIDE
        tensor = np.zeros((len(batch), 3, REC_HEIGHT, input_w), np.float32)
        for row, i in enumerate(batch):
            resized = cv2.resize(crops[i], (max(1, widths[i]), REC_HEIGHT), interpolation=cv2.INTER_LINEAR)
            tensor[row, :, :, : widths[i]] = _normalise(resized)
        probs = session.run(None, {"x": tensor})[0]
        for row, i in enumerate(batch):
            readings[i] = _decode(probs[row], keys, widths[i])
    return readings  # type: ignore[return-value]


def _keys_path(models: Models) -> str:
    labels = models.spec(REC_MODEL)["labels"]["file"]
    return str(models.path(REC_MODEL).parent / labels)


# --- words ----------------------------------------------------------------------------------


def _words(reading: _Reading, crop: _Crop) -> tuple[Word, ...]:
    """Split a line into words at its spaces; each word's box spans its characters' CTC steps.

    A CTC step covers REC_STRIDE input pixels; a character's steps are a narrow spike inside the
    glyph, so each word is widened to halfway to its neighbours' characters (and to the crop's
    ends for the first and last word).
    """
    crop_h, crop_w = crop.pixels.shape[:2]
    to_crop = crop_w / max(reading.input_width, 1) * REC_STRIDE  # CTC step → crop pixels
    groups: list[list[int]] = [[]]
    for i, ch in enumerate(reading.text):
        if ch.isspace():
            groups.append([])
        else:
            groups[-1].append(i)
    groups = [g for g in groups if g]
    if not groups:
        return ()
    to_image = cv2.getPerspectiveTransform(
        np.array([[0, 0], [crop_w, 0], [crop_w, crop_h], [0, crop_h]], np.float32), crop.quad.astype(np.float32)
    )
    words = []
    for n, group in enumerate(groups):
        first, last = reading.steps[group[0]][0], reading.steps[group[-1]][1] + 1
        left = 0.0 if n == 0 else (reading.steps[groups[n - 1][-1]][1] + 1 + first) / 2
        right = reading.input_width / REC_STRIDE if n == len(groups) - 1 else (last + reading.steps[groups[n + 1][0]][0]) / 2
        x0, x1 = min(left, first) * to_crop, min(crop_w, max(right, last) * to_crop)
        corners = np.array([[x0, 0], [x1, 0], [x1, crop_h], [x0, crop_h]], np.float32)
        quad = cv2.perspectiveTransform(corners[None], to_image)[0]
        text = "".join(reading.text[i] for i in group)
        confidence = float(np.mean([reading.steps[i][2] for i in group]))
        words.append(Word(text, round(confidence, 4), quad.astype(np.float32)))
    return tuple(words)


# --- the whole chain ------------------------------------------------------------------------


def read_text(rgb: np.ndarray, models: Models, *, max_side: int = DET_MAX_SIDE, classify: bool | None = None) -> list[TextLine]:
    """Lines of text in an RGB uint8 image, in reading order, with quads in its pixels.

    ``classify``: None runs the 0/180° classifier only on crops turned from vertical text, True on
    every crop (upside-down photos of text), False never.
    """
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    quads = detect(bgr, models, max_side)
    if not quads:
        return []
    crops = [_crop(bgr, q) for q in quads]
    if classify is not False:
        _turn_upside_down(crops, models, only_tall=classify is None)
    readings = recognise([c.pixels for c in crops], models)
    lines = []
    for crop, reading in zip(crops, readings):
        text = reading.text.strip()
        if not text or reading.confidence < MIN_LINE_CONFIDENCE:
            continue
        lines.append(TextLine(text, round(reading.confidence, 4), crop.quad.astype(np.float32), _words(reading, crop)))
    return lines
