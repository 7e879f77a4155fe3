"""Object detection with the ONNX detectors of the model manifest, boxes in working-image pixels.

Two families, named by the manifest entry:

- ``"detector": "yolov8"`` or ``"yolov5"``: a retailer's own YOLO export. Input 1 x 3 x S x S,
  RGB 0..1, letterboxed (aspect kept, centred, grey 114 border). Output 1 x (4 + C) x N for
  YOLOv8 (cx, cy, w, h, then C class scores) or 1 x N x (5 + C) for YOLOv5 (cx, cy, w, h,
  objectness, C class probabilities; score = objectness x class probability). Coordinates are in
  input pixels. The entry gives ``input.size`` (S, or ``input.shape``) and ``labels`` (C names,
  or ``{"file": ...}`` with one name a line); ``postprocess.nms_iou`` is optional (default 0.45).
- ``"detector": "ssd"``: the bundled COCO detector (SSD-MobileNetV2, models/README.md). Input
  1 x 300 x 300 x 3 uint8 RGB, the photo (or a zone of it) stretched to the square as it was
  trained; outputs decoded ``boxes`` (normalised xmin, ymin, xmax, ymax) and ``scores`` per COCO
  id (``labels`` file, one name a line, an empty line an unused id). NMS is class-wise, here.
  ``detect_region`` runs it on a crop too: a second pass for small zones (small products far away).
  ``detect_figures`` adds a second pass for ``person`` boxes with the photo's proportions kept
  (letterboxed): a 4:3 photo stretched to the square narrows a standing figure by a quarter, and
  mannequins, whose blank heads give the detector little, then mostly fall below the threshold
  (measured in models/README.md, "People and mannequins").
- The mediapipe BlazePose person detector (task "person-detection ..."): anchors are decoded in
  the graph; it finds a person through the face, and the body box is the circle its keypoints
  describe (see models/preprocessing_notes.md).

Detections are kept down to a low score floor, after class-wise NMS; a rule then applies its own
``min_confidence``. Greedy NMS only lets a box be suppressed by a higher-scoring one, so
thresholding after NMS gives the same boxes as thresholding before it: one decode per photo and
model serves every rule, whatever its confidence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from chalicelib.vision.context import PhotoContext
from chalicelib.vision.inference import ModelError, Models
from chalicelib.vision.resample import shrink

YOLO_FAMILIES = ("yolov8", "yolov5")
BLAZEPOSE = "blazepose"
SSD = "ssd"
SSD_SCORE_FLOOR = 0.1  # SSD class scores below this are noise (the uint8 sigmoid floor is ~0.004)
SSD_NMS_IOU = 0.5
SCORE_FLOOR = 0.05  # lowest score kept from a YOLO model; a rule asks for more
PERSON_SCORE_FLOOR = 0.3  # BlazePose scores below this are background (its own default is 0.5)
DEFAULT_NMS_IOU = 0.45
PERSON_NMS_IOU = 0.3  # manifest: "IoU 0.3 on the face boxes"
MAX_CANDIDATES = 3000  # highest-scoring boxes passed to NMS (bounds its cost on a noisy output)
YOLO_PAD_VALUE = 114  # the letterbox grey of the YOLO training pipelines
FIGURE_PAD_VALUE = 128  # the grey of the bands around a photo fitted into the square with its proportions kept
FIGURE_PASS_ASPECT = 1.15  # a photo this much longer than wide (or wider than long) gets the figure pass


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: tuple[float, float, float, float]  # (x, y, w, h) in working-image pixels

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


def _box(values: Any) -> tuple[float, float, float, float]:
    """(x, y, w, h) as plain floats, from any four numbers (a numpy row, a list)."""
    x, y, w, h = (float(v) for v in values)
    return x, y, w, h


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into a square input: input = image * scale + (pad_x, pad_y)."""

    scale: float
    pad_x: int
    pad_y: int

    def to_image(self, xy: np.ndarray) -> np.ndarray:
        """Points (..., 2) in input pixels to image pixels."""
        return (xy - np.array([self.pad_x, self.pad_y], np.float32)) / self.scale


def letterbox(rgb: np.ndarray, side: int, pad_value: int) -> tuple[np.ndarray, Letterbox]:
    height, width = rgb.shape[:2]
    scale = side / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    if scale < 0.5:
        resized = shrink(rgb, (new_w, new_h))
    else:
        resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    pad_x, pad_y = (side - new_w) // 2, (side - new_h) // 2
    canvas = np.full((side, side, 3), pad_value, np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return canvas, Letterbox(scale, pad_x, pad_y)


def family(spec: dict[str, Any]) -> str:
    declared = spec.get("detector")
    if declared in YOLO_FAMILIES or declared in (BLAZEPOSE, SSD):
        return declared
    raise ModelError(
        f"model {spec.get('name')!r} is not a detector this service can run: its manifest entry needs "
        f'"detector": one of {", ".join((*YOLO_FAMILIES, BLAZEPOSE, SSD))}'
    )


def labels(models: Models, name: str) -> list[str]:
    """The model's labels by class index ('' for an unused index, as in the COCO ids)."""
    spec = models.spec(name)
    declared = spec.get("labels")
    if isinstance(declared, list):
        return [str(label) for label in declared]
    if isinstance(declared, dict) and "file" in declared:
        return _label_file(str(Path(spec["_folder"]) / declared["file"]))
    raise ModelError(f"model {name!r} has no labels in its manifest entry")


@functools.lru_cache(maxsize=8)
def _label_file(path: str) -> list[str]:
    return [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines()]


def _input_side(spec: dict[str, Any]) -> int:
    declared = spec.get("input", {})
    size = declared.get("size")
    if isinstance(size, int):
        return size
    shape = declared.get("shape", [])
    if len(shape) == 4 and isinstance(shape[2], int) and shape[2] == shape[3]:
        return shape[2]
    raise ModelError(f"model {spec.get('name')!r}: the manifest entry needs input.size (the square side S)")


def _class_wise_nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by NMS run separately for each class (boxes as x, y, w, h)."""
    kept: list[int] = []
    for cls in np.unique(classes):
        members = np.flatnonzero(classes == cls)
        chosen = cv2.dnn.NMSBoxes(boxes[members].tolist(), scores[members].tolist(), 0.0, iou)
        kept.extend(members[np.asarray(chosen, int).reshape(-1)].tolist())
    return np.array(sorted(kept, key=lambda i: -scores[i]), int)


def _clip_boxes(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    x0 = np.clip(boxes[:, 0], 0, width)
    y0 = np.clip(boxes[:, 1], 0, height)
    x1 = np.clip(boxes[:, 0] + boxes[:, 2], 0, width)
    y1 = np.clip(boxes[:, 1] + boxes[:, 3], 0, height)
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)


def _yolo_rows(output: np.ndarray, kind: str, n_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cx cy w h in input pixels, best score, best class) per candidate."""
    out = np.asarray(output, np.float32)
    out = out.reshape(out.shape[-2:]) if out.ndim == 3 else out
    width = 4 + n_classes if kind == "yolov8" else 5 + n_classes
    if kind == "yolov8" and out.shape[0] == width:
        out = out.T  # the usual 1 x (4 + C) x N layout: one candidate a column
    if out.ndim != 2 or out.shape[1] != width:
        raise ModelError(f"{kind} output of shape {np.shape(output)} does not fit {n_classes} labels")
    if kind == "yolov8":
        class_scores = out[:, 4:]
    else:
        class_scores = out[:, 5:] * out[:, 4:5]
    best = np.argmax(class_scores, axis=1)
    return out[:, :4], class_scores[np.arange(len(out)), best], best


def _detect_yolo(models: Models, name: str, rgb: np.ndarray, kind: str) -> list[Detection]:
    spec, names = models.spec(name), labels(models, name)
    side = _input_side(spec)
    session = models.session(name)
    canvas, fit = letterbox(rgb, side, YOLO_PAD_VALUE)
    tensor = np.ascontiguousarray(canvas.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
    output = session.run(None, {session.get_inputs()[0].name: tensor})[0]
    cxcywh, scores, classes = _yolo_rows(output, kind, len(names))

    keep = np.flatnonzero(scores >= SCORE_FLOOR)
    keep = keep[np.argsort(-scores[keep])[:MAX_CANDIDATES]]
    if keep.size == 0:
        return []
    cxcywh, scores, classes = cxcywh[keep], scores[keep], classes[keep]
    corners = fit.to_image(
        np.concatenate([cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, :2] + cxcywh[:, 2:] / 2], axis=1).reshape(-1, 2)
    )
    corners = corners.reshape(-1, 4)
    height, width = rgb.shape[:2]
    boxes = _clip_boxes(np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], axis=1), width, height)
    iou = float(spec.get("postprocess", {}).get("nms_iou", DEFAULT_NMS_IOU))
    return [
        Detection(names[int(classes[i])], float(scores[i]), _box(boxes[i]))
        for i in _class_wise_nms(boxes, scores, classes, iou)
        if boxes[i, 2] > 0 and boxes[i, 3] > 0
    ]


def _detect_person_blazepose(models: Models, name: str, rgb: np.ndarray) -> list[Detection]:
    spec = models.spec(name)
    side = int(spec["input"]["shape"][1])
    norm = spec["input"]["normalisation"]
    session = models.session(name)
    canvas, fit = letterbox(rgb, side, 0)
    tensor = canvas[None].astype(np.float32) * float(norm["scale"]) - float(norm["mean"][0])
    # Outside the photo the input must be 0 (the letterbox border of the notes), not -1.
    border = np.ones((side, side), bool)
    border[fit.pad_y : side - fit.pad_y, fit.pad_x : side - fit.pad_x] = False
    tensor[0][border] = 0.0
    outputs = dict(zip((o.name for o in session.get_outputs()), session.run(None, {session.get_inputs()[0].name: tensor})))
    scores, faces, keypoints = outputs["scores"][0], outputs["boxes"][0], outputs["keypoints"][0]

    keep = np.flatnonzero(scores >= PERSON_SCORE_FLOOR)
    if keep.size == 0:
        return []
    face_corners = fit.to_image(faces[keep].reshape(-1, 2) * side).reshape(-1, 4)
    face_boxes = np.concatenate([face_corners[:, :2], face_corners[:, 2:] - face_corners[:, :2]], axis=1)
    kept = cv2.dnn.NMSBoxes(face_boxes.tolist(), scores[keep].tolist(), 0.0, PERSON_NMS_IOU)
    chosen = np.asarray(kept, int).reshape(-1)

    # The body: a square on the mid-hip keypoint, its half side the radius of the body circle.
    points = fit.to_image(keypoints[keep[chosen]] * side)
    hips, radius = points[:, 0], np.linalg.norm(points[:, 1] - points[:, 0], axis=1)
    bodies = np.concatenate([hips - radius[:, None], 2 * np.repeat(radius[:, None], 2, axis=1)], axis=1)
    height, width = rgb.shape[:2]
    bodies = _clip_boxes(bodies, width, height)
    detections = []
    for row, index in enumerate(chosen):
        box = (
            bodies[row]
            if bodies[row, 2] > 0 and bodies[row, 3] > 0
            else _clip_boxes(face_boxes[index : index + 1], width, height)[0]
        )
        detections.append(Detection("person", float(scores[keep[index]]), _box(box)))
    return sorted(detections, key=lambda d: -d.score)


def _ssd_input(rgb: np.ndarray, side: int) -> np.ndarray:
    height, width = rgb.shape[:2]
    if width >= 2 * side and height >= 2 * side:
        square = shrink(rgb, (side, side))
    else:
        square = cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA if min(width, height) > side else cv2.INTER_LINEAR)
    return np.ascontiguousarray(square[None], dtype=np.uint8)


def _ssd_candidates(models: Models, name: str, square: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One SSD run on a ``1 x side x side x 3`` uint8 input: (corners x1 y1 x2 y2 in 0..1, score,
    class id) of the best candidates above the floor, best first."""
    session = models.session(name)
    outputs = dict(
        zip(
            (o.name for o in session.get_outputs()),
            session.run(None, {session.get_inputs()[0].name: square}),
            strict=True,
        )
    )
    boxes, scores = outputs["boxes"][0], outputs["scores"][0]
    anchor, cls = np.nonzero(scores >= SSD_SCORE_FLOOR)
    values = scores[anchor, cls]
    order = np.argsort(-values)[:MAX_CANDIDATES]
    anchor, cls, values = anchor[order], cls[order], values[order]
    return boxes[anchor], values, cls


def _corners_to_boxes(corners: np.ndarray, width: int, height: int) -> np.ndarray:
    xywh = np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], axis=1)
    return _clip_boxes(xywh, width, height)


def _ssd_raw(models: Models, name: str, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boxes x y w h in ``rgb`` pixels, score, class id) of every candidate above the floor."""
    side = _input_side(models.spec(name))
    corners, values, cls = _ssd_candidates(models, name, _ssd_input(rgb, side))
    height, width = rgb.shape[:2]
    return _corners_to_boxes(corners * np.array([width, height, width, height], np.float32), width, height), values, cls


def _ssd_detections(names: list[str], boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray) -> list[Detection]:
    if len(scores) == 0:
        return []
    return [
        Detection(names[int(classes[i])], float(scores[i]), _box(boxes[i]))
        for i in _class_wise_nms(boxes, scores, classes, SSD_NMS_IOU)
        if boxes[i, 2] > 1 and boxes[i, 3] > 1 and names[int(classes[i])]
    ]


def _detect_ssd(models: Models, name: str, rgb: np.ndarray) -> list[Detection]:
    boxes, scores, classes = _ssd_raw(models, name, rgb)
    return _ssd_detections(labels(models, name), boxes, scores, classes)


RawPass = tuple[np.ndarray, np.ndarray, np.ndarray]  # boxes x y w h in photo pixels, scores, class ids


def detect_region(
    models: Models, name: str, rgb: np.ndarray, region: tuple[int, int, int, int], whole: RawPass | None = None
) -> list[Detection]:
    """The whole-photo detections merged with a second pass on ``region`` (x, y, w, h): a small
    zone fills the detector's input, so objects too small at full view are found. SSD only; the
    other families return the whole-photo detections. ``whole``: the photo's SSD pass if it was
    run already (``_ssd_raw``)."""
    if family(models.spec(name)) != SSD:
        return detect(models, name, rgb)
    x, y, w, h = region
    full_boxes, full_scores, full_classes = whole if whole is not None else _ssd_raw(models, name, rgb)
    crop_boxes, crop_scores, crop_classes = _ssd_raw(models, name, rgb[y : y + h, x : x + w])
    crop_boxes = crop_boxes + np.array([x, y, 0, 0], np.float32)
    return _ssd_detections(
        labels(models, name),
        np.concatenate([full_boxes, crop_boxes]),
        np.concatenate([full_scores, crop_scores]),
        np.concatenate([full_classes, crop_classes]),
    )


def _ssd_raw_letterboxed(models: Models, name: str, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As ``_ssd_raw``, the photo fitted into the square with its proportions kept (grey bands)."""
    side = _input_side(models.spec(name))
    canvas, fit = letterbox(rgb, side, FIGURE_PAD_VALUE)
    corners, values, cls = _ssd_candidates(models, name, np.ascontiguousarray(canvas[None]))
    height, width = rgb.shape[:2]
    return _corners_to_boxes(fit.to_image((corners * side).reshape(-1, 2)).reshape(-1, 4), width, height), values, cls


def detect_figures(models: Models, name: str, rgb: np.ndarray, whole: RawPass | None = None) -> list[Detection]:
    """The whole-photo detections with the ``person`` boxes of a second, proportions-kept pass
    merged in (SSD only, and only for a photo that is not square already; other families return
    the whole-photo detections). Every other class is the whole pass's. ``whole``: the photo's
    SSD pass if it was run already."""
    height, width = rgb.shape[:2]
    if family(models.spec(name)) != SSD:
        return detect(models, name, rgb)
    names = labels(models, name)
    boxes, scores, classes = whole if whole is not None else _ssd_raw(models, name, rgb)
    if max(width, height) < FIGURE_PASS_ASPECT * min(width, height):
        return _ssd_detections(names, boxes, scores, classes)
    person = names.index("person") if "person" in names else -1
    kept_boxes, kept_scores, kept_classes = _ssd_raw_letterboxed(models, name, rgb)
    keep = kept_classes == person
    return _ssd_detections(
        names,
        np.concatenate([boxes, kept_boxes[keep]]),
        np.concatenate([scores, kept_scores[keep]]),
        np.concatenate([classes, kept_classes[keep]]),
    )


def detect(models: Models, name: str, rgb: np.ndarray) -> list[Detection]:
    """Every detection of the model ``name`` in an RGB uint8 image, best first."""
    kind = family(models.spec(name))
    if kind == BLAZEPOSE:
        return _detect_person_blazepose(models, name, rgb)
    if kind == SSD:
        return _detect_ssd(models, name, rgb)
    return _detect_yolo(models, name, rgb, kind)


def _photo_ssd_pass(context: PhotoContext, name: str) -> RawPass:
    """The SSD model's pass on the whole working image, once per photo: every rule's detections,
    second passes included, start from it."""
    return context.shared(f"ssd-pass:{name}", lambda: _ssd_raw(context.models, name, context.rgb))


def photo_detections(context: PhotoContext, name: str) -> list[Detection]:
    """Detections of one model in the working image, computed once per photo."""
    if family(context.models.spec(name)) == SSD:
        return context.shared(
            f"detections:{name}", lambda: _ssd_detections(labels(context.models, name), *_photo_ssd_pass(context, name))
        )
    return context.shared(f"detections:{name}", lambda: detect(context.models, name, context.rgb))


def photo_region_detections(context: PhotoContext, name: str, region: tuple[int, int, int, int]) -> list[Detection]:
    """``detect_region`` on the working image, once per photo and region."""
    if family(context.models.spec(name)) != SSD:
        return photo_detections(context, name)
    return context.shared(
        f"detections:{name}:region:{region}",
        lambda: detect_region(context.models, name, context.rgb, region, _photo_ssd_pass(context, name)),
    )


def photo_figure_detections(context: PhotoContext, name: str) -> list[Detection]:
    """``detect_figures`` on the working image, once per photo."""
    if family(context.models.spec(name)) != SSD:
        return photo_detections(context, name)
    return context.shared(
        f"detections:{name}:figures",
        lambda: detect_figures(context.models, name, context.rgb, _photo_ssd_pass(context, name)),
    )
