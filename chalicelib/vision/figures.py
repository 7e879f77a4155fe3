"""People and mannequins: a COCO detector calls both ``person``; a window guideline does not.

"Two dressed mannequins in the window" is required; "a passer-by in front of the window" spoils
the photo. Each ``person`` box of the COCO detector is told apart by two cues, cheapest first:

1. **In front of the glass.** A figure cut by the photo's bottom edge, or taller than
   ``FRONT_HEIGHT`` of the photo, stands between the phone and the window: a passer-by (or the
   photographer's own shadow). A mannequin behind the glass is seen whole, on its platform.
2. **A living face.** The head of the figure is looked at with the bundled BlazePose detector
   (it finds a person *through the face*) on a crop of the box, and its face box is measured:
   the share of skin-coloured pixels (YCrCb) and the fine texture (eyes, brows, mouth: the
   spread of a band-pass of the grey image). A face with both is a person. No face, a face of
   plastic (no skin colour: white, black, grey mannequins) or a smooth blank face (a beige
   mannequin) is a mannequin. A head crop (head and shoulders) with hardly any skin colour at
   all is a mannequin without running the face detector (one run is ~13 ms): white, black or
   grey plastic over grey or dark clothes. In the composed windows it never fires (the orange
   suit is skin-coloured in YCrCb), so its saving there is nil.

A person seen from the back has no face: when it is not cut by the frame it is taken for a
mannequin. That and everything else measured are in models/README.md ("People and
mannequins"); the figures there come from composed windows, not photographs of real mannequins.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import cv2
import numpy as np

from chalicelib.vision.detection import Detection

PERSON, MANNEQUIN, FIGURE = "person", "mannequin", "person_or_mannequin"
FIGURE_LABELS = (PERSON, MANNEQUIN, FIGURE)
COCO_PERSON = "person"
FACE_MODEL = "person_detect_mediapipe_blazepose"

EDGE = 0.97  # a box reaching below this share of the photo's height is cut by the bottom edge
FRONT_HEIGHT = 0.7  # a figure this tall (share of the photo's height) stands in front of the glass
FACE_SCORE = 0.6  # BlazePose face score that counts as a face
SKIN_SHARE = 0.3  # share of the face box in the YCrCb skin range
FACE_TEXTURE = 14.0  # grey-level spread of the face box's band-pass (eyes, mouth); plastic is smoother (models/README.md)
MAX_FACE_LOOKS = 6  # figures looked at closely per photo (the best-scoring ones); the rest are judged by cue 1 only
HEAD_SKIN = 0.01  # share of skin-coloured pixels in the head crop below which no face is looked for


@dataclass(frozen=True)
class Figure:
    detection: Detection  # the COCO ``person`` box, relabelled ``person`` or ``mannequin``
    reason: str


def _skin_share(rgb: np.ndarray) -> float:
    if rgb.size == 0:
        return 0.0
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    y, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    skin = (cr >= 135) & (cr <= 180) & (cb >= 80) & (cb <= 130) & (y >= 40)
    return float(skin.mean())


def _texture(rgb: np.ndarray) -> float:
    if rgb.size == 0:
        return 0.0
    grey = cv2.cvtColor(cv2.resize(rgb, (48, 48), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY).astype(np.float32)
    band = cv2.GaussianBlur(grey, (0, 0), 1.0) - cv2.GaussianBlur(grey, (0, 0), 4.0)
    return float(band.std())


def _head_crop(rgb: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The upper half of the figure in ``box``, widened to a square-ish crop (the face detector's
    input is square)."""
    height, width = rgb.shape[:2]
    x, y, w, h = box
    side = max(w, h * 0.5)
    cx = x + w / 2
    x0, x1 = int(max(0, cx - side / 2)), int(min(width, cx + side / 2))
    y0, y1 = int(max(0, y - 0.05 * h)), int(min(height, y + 0.55 * h))
    return rgb[y0:y1, x0:x1]


def _judge_face(crop: np.ndarray, found: tuple[float, tuple[float, float, float, float]] | None) -> tuple[bool, str]:
    """(living face, why) from the best face found in ``crop`` (its box in crop pixels)."""
    if found is None:
        return False, "no face"
    score, (fx, fy, fw, fh) = found
    face = crop[max(0, int(fy)) : int(fy + fh), max(0, int(fx)) : int(fx + fw)]
    skin, texture = _skin_share(face), _texture(face)
    if skin < SKIN_SHARE:
        return False, f"face without skin colour ({skin:.2f})"
    if texture < FACE_TEXTURE:
        return False, f"blank face ({texture:.1f})"
    return True, f"face {score:.2f}, skin {skin:.2f}, texture {texture:.1f}"


def _face_cues(models, rgb: np.ndarray, box: tuple[float, float, float, float]) -> tuple[bool, str]:
    """(living face found, why) for the figure in ``box``."""
    crop = _head_crop(rgb, box)
    if crop.shape[0] < 16 or crop.shape[1] < 16:
        return False, "too small to see a face"
    skin = _skin_share(crop)
    if skin < HEAD_SKIN:
        # The face test below needs SKIN_SHARE of a face box in skin colour; a head crop with
        # less than this has no such face (white, black, grey plastic): no detector run.
        return False, f"no skin colour around the head ({skin:.3f})"
    return _judge_face(crop, _best_face(models, crop))


def _best_face(models, crop: np.ndarray) -> tuple[float, tuple[float, float, float, float]] | None:
    """The best face (score, box x y w h in crop pixels) BlazePose finds in ``crop``, if any."""
    from chalicelib.vision import detection

    spec = models.spec(FACE_MODEL)
    side = int(spec["input"]["shape"][1])
    session = models.session(FACE_MODEL)
    canvas, fit = detection.letterbox(crop, side, 0)
    high, wide = max(1, round(crop.shape[0] * fit.scale)), max(1, round(crop.shape[1] * fit.scale))
    tensor = np.zeros((1, side, side, 3), np.float32)  # 0 outside the photo, as the model expects
    tensor[0, fit.pad_y : fit.pad_y + high, fit.pad_x : fit.pad_x + wide] = (
        canvas[fit.pad_y : fit.pad_y + high, fit.pad_x : fit.pad_x + wide].astype(np.float32) / 127.5 - 1.0
    )
    outputs = dict(
        zip((o.name for o in session.get_outputs()), session.run(None, {session.get_inputs()[0].name: tensor}), strict=True)
    )
    scores, boxes = outputs["scores"][0], outputs["boxes"][0]
    best = int(np.argmax(scores))
    if scores[best] < FACE_SCORE:
        return None
    corners = fit.to_image(boxes[best].reshape(2, 2) * side).reshape(-1)
    return float(scores[best]), (
        float(corners[0]),
        float(corners[1]),
        float(corners[2] - corners[0]),
        float(corners[3] - corners[1]),
    )


def classify(models, rgb: np.ndarray, detections: list[Detection], look=None) -> list[Figure]:
    """Each COCO ``person`` detection as a ``person`` or a ``mannequin``, best score first.
    ``look(box, compute)`` may stand between a figure and its face look (a per-photo cache)."""
    height, _ = rgb.shape[:2]
    figures: list[Figure] = []
    for rank, found in enumerate(d for d in detections if d.label == COCO_PERSON):
        x, y, w, h = found.box
        if y + h >= EDGE * height:
            figures.append(Figure(replace(found, label=PERSON), "cut by the bottom edge: in front of the window"))
        elif h >= FRONT_HEIGHT * height:
            figures.append(Figure(replace(found, label=PERSON), "as tall as the photo: in front of the window"))
        elif rank >= MAX_FACE_LOOKS:
            figures.append(Figure(replace(found, label=MANNEQUIN), "not looked at (too many figures)"))
        else:
            compute = functools.partial(_face_cues, models, rgb, found.box)
            living, why = look(found.box, compute) if look is not None else compute()
            figures.append(Figure(replace(found, label=PERSON if living else MANNEQUIN), why))
    return figures


def photo_figures(context, detections: list[Detection]) -> list[Figure]:
    """The figures among ``detections``; each box's face look is done once per photo, whichever
    rules (zones, confidences) ask for it."""
    return classify(context.models, context.rgb, detections, lambda box, compute: context.shared(f"face-look:{box}", compute))
