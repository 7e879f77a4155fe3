"""Objects check: a retailer's YOLO-format detector built here with the `onnx` package, and the
mediapipe person detector on scikit-image photos.

The test detector is honest about its input: its scores are computed from the pixels it is given.
On a stride-8 grid of its S x S input, each cell averages the input over the 24 x 24 window
centred on the cell (AveragePool, kernel 24, stride 8, pad 8) and reports a box of that window
(cx, cy = cell centre, w = h = 24). Its two classes: "lamp" (bright: mean of R, G, B) and
"poster" (red: R - G). A bright 24 x 24 square aligned with the grid thus gives one box exactly on
it (score ~0.98), and its four edge neighbours score ~0.75 with boxes overlapping it by IoU 0.5:
only NMS brings the count back to one. The squares are drawn in the photo where the letterbox
maps them onto the grid, so the expected boxes in photo pixels test the letterbox mapping.
"""

from __future__ import annotations

import functools
import hashlib
import json

import cv2
import numpy as np
import onnx
import pytest
import skimage.data
from onnx import TensorProto, helper, numpy_helper

from chalicelib.core.guideline import parse_guideline
from chalicelib.vision import detection
from chalicelib.vision.checks import objects
from chalicelib.vision.context import PhotoContext
from chalicelib.vision.evidence import Box, ZoneBox
from chalicelib.vision.inference import Models
from chalicelib.vision.intake import IntakeResult

SIDE, STRIDE, WINDOW = 128, 8, 24
LABELS = ["lamp", "poster"]
PHOTO = (800, 600)  # letterboxed: scale 0.16, pad (0, 16)
WHITE, RED = (250, 250, 250), (250, 10, 10)
# (x, y, w, h) in photo pixels of squares that map onto a 24 x 24 grid window of the input.
LAMP_UPPER, LAMP_LOWER, POSTER = (200, 200, 150, 150), (50, 400, 150, 150), (500, 200, 150, 150)


def _constant(name: str, value: np.ndarray):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value, np.float32), name))


def build_yolo(kind: str) -> onnx.ModelProto:
    cells = SIDE // STRIDE
    centres = np.arange(cells, dtype=np.float32) * STRIDE + STRIDE / 2
    cx = np.broadcast_to(centres[None, :], (cells, cells)).reshape(1, 1, cells, cells)
    cy = np.broadcast_to(centres[:, None], (cells, cells)).reshape(1, 1, cells, cells)
    size = np.full((1, 1, cells, cells), WINDOW, np.float32)
    nodes = [
        _constant("cx", cx),
        _constant("cy", cy),
        _constant("wh", size),
        _constant("k", np.float32(10.0)),
        _constant("bright_at", np.float32(0.6)),
        _constant("red_at", np.float32(0.6)),
        _constant("half", np.float32(0.5)),
        helper.make_node(
            "AveragePool", ["images"], ["pooled"], kernel_shape=[WINDOW, WINDOW], strides=[STRIDE, STRIDE], pads=[8, 8, 8, 8]
        ),
        helper.make_node("Split", ["pooled"], ["r", "g", "b"], axis=1, num_outputs=3),
        helper.make_node("Sum", ["r", "g", "b"], ["sum"]),
        _constant("third", np.float32(1 / 3)),
        helper.make_node("Mul", ["sum", "third"], ["mean"]),
    ]
    if kind == "yolov8":
        nodes += [
            # lamp = sigmoid(10 (mean - 0.6)); poster = sigmoid(10 (R - G - 0.6))
            helper.make_node("Sub", ["mean", "bright_at"], ["lamp_x"]),
            helper.make_node("Mul", ["lamp_x", "k"], ["lamp_k"]),
            helper.make_node("Sigmoid", ["lamp_k"], ["lamp"]),
            helper.make_node("Sub", ["r", "g"], ["redness"]),
            helper.make_node("Sub", ["redness", "red_at"], ["poster_x"]),
            helper.make_node("Mul", ["poster_x", "k"], ["poster_k"]),
            helper.make_node("Sigmoid", ["poster_k"], ["poster"]),
            helper.make_node("Concat", ["cx", "cy", "wh", "wh", "lamp", "poster"], ["grid"], axis=1),
            helper.make_node(
                "Constant", [], ["shape"], value=numpy_helper.from_array(np.array([1, 4 + len(LABELS), -1], np.int64), "shape")
            ),
            helper.make_node("Reshape", ["grid", "shape"], ["output0"]),
        ]
        out_shape = [1, 4 + len(LABELS), cells * cells]
    else:
        nodes += [
            # objectness = sigmoid(10 (max(mean, R - G) - 0.6)); class probabilities from
            # the green channel: a lamp is white (G high), a poster red (G low).
            helper.make_node("Sub", ["r", "g"], ["redness"]),
            helper.make_node("Max", ["mean", "redness"], ["salient"]),
            helper.make_node("Sub", ["salient", "bright_at"], ["obj_x"]),
            helper.make_node("Mul", ["obj_x", "k"], ["obj_k"]),
            helper.make_node("Sigmoid", ["obj_k"], ["objectness"]),
            helper.make_node("Sub", ["g", "half"], ["green_x"]),
            helper.make_node("Mul", ["green_x", "k"], ["green_k"]),
            helper.make_node("Sigmoid", ["green_k"], ["lamp"]),
            helper.make_node("Neg", ["green_k"], ["not_green_k"]),
            helper.make_node("Sigmoid", ["not_green_k"], ["poster"]),
            helper.make_node("Concat", ["cx", "cy", "wh", "wh", "objectness", "lamp", "poster"], ["grid"], axis=1),
            helper.make_node(
                "Constant", [], ["shape"], value=numpy_helper.from_array(np.array([1, 5 + len(LABELS), -1], np.int64), "shape")
            ),
            helper.make_node("Reshape", ["grid", "shape"], ["rows_t"]),
            helper.make_node("Transpose", ["rows_t"], ["output0"], perm=[0, 2, 1]),
        ]
        out_shape = [1, cells * cells, 5 + len(LABELS)]
    graph = helper.make_graph(
        nodes,
        f"test_{kind}",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIDE, SIDE])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, out_shape)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="vetrina-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="module")
def retailer_models(tmp_path_factory) -> Models:
    """A retailer's folder: two YOLO-format models and their own manifest.json."""
    folder = tmp_path_factory.mktemp("retailer_models")
    entries = []
    for kind in ("yolov8", "yolov5"):
        data = build_yolo(kind).SerializeToString()
        (folder / f"shop_{kind}.onnx").write_bytes(data)
        entries.append(
            {
                "name": f"shop_{kind}",
                "file": f"shop_{kind}.onnx",
                "sha256": hashlib.sha256(data).hexdigest(),
                "task": "object-detection",
                "detector": kind,
                "input": {
                    "name": "images",
                    "shape": [1, 3, SIDE, SIDE],
                    "size": SIDE,
                    "layout": "NCHW",
                    "colour": "RGB",
                    "normalisation": "pixel / 255",
                    "resize": "letterbox, grey 114 border",
                },
                "labels": LABELS,
            }
        )
    (folder / "manifest.json").write_text(json.dumps({"schema": 1, "models": entries}))
    return Models(folder=folder, threads=1)


def context_of(rgb: np.ndarray, models: Models | None = None) -> PhotoContext:
    height, width = rgb.shape[:2]
    return PhotoContext(IntakeResult("png", (width, height), rgb, b"", b"", ()), None, models)


def objects_rule(label, model, zone=None, **parameters):
    rule = {
        "id": "count",
        "type": "objects",
        "message": "The window does not have the right number of them.",
        "parameters": {"model": model, "label": label, **parameters},
    }
    if zone is not None:
        rule["zone"] = zone
    return parse_guideline({"rules": [rule]}).rules[0]


def transposed(box):
    x, y, w, h = box
    return (y, x, h, w)


@functools.cache
def shop_scene(portrait: bool = False) -> np.ndarray:
    """A dim window with two white lamps and a red poster (portrait: the scene transposed)."""
    rng = np.random.default_rng(3)
    width, height = PHOTO
    rgb = np.clip(rng.normal(40, 6, (height, width, 3)), 0, 255).astype(np.uint8)
    for (x, y, w, h), colour in ((LAMP_UPPER, WHITE), (LAMP_LOWER, WHITE), (POSTER, RED)):
        cv2.rectangle(rgb, (x, y), (x + w - 1, y + h - 1), colour, -1)
    return np.ascontiguousarray(rgb.transpose(1, 0, 2)) if portrait else rgb


@pytest.mark.parametrize("kind", ["yolov8", "yolov5"])
@pytest.mark.parametrize("portrait", [False, True])
def test_yolo_decoding_letterbox_and_nms_give_one_box_per_square(retailer_models, kind, portrait):
    found = [d for d in detection.detect(retailer_models, f"shop_{kind}", shop_scene(portrait)) if d.score >= 0.5]
    expected = {("lamp", LAMP_UPPER), ("lamp", LAMP_LOWER), ("poster", POSTER)}
    if portrait:
        expected = {(label, transposed(box)) for label, box in expected}
    assert len(found) == 3, found
    for label, box in expected:
        match = [d for d in found if d.label == label and np.allclose(d.box, box, atol=2)]
        assert len(match) == 1, (label, box, found)
        assert match[0].score > 0.9


def test_without_nms_the_neighbouring_cells_would_be_counted(retailer_models, monkeypatch):
    monkeypatch.setattr(detection, "_class_wise_nms", lambda boxes, scores, classes, iou: np.argsort(-scores))
    found = [d for d in detection.detect(retailer_models, "shop_yolov8", shop_scene()) if d.score >= 0.5]
    assert len(found) > 3


def test_class_wise_nms_keeps_overlapping_boxes_of_different_classes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10]], np.float32)
    kept = detection._class_wise_nms(boxes, np.array([0.9, 0.8, 0.7]), np.array([0, 0, 1]), 0.45)
    assert sorted(kept.tolist()) == [0, 2]


@pytest.mark.parametrize("kind", ["yolov8", "yolov5"])
def test_counting_in_a_zone(retailer_models, kind):
    context = context_of(shop_scene(), retailer_models)
    whole = objects.evaluate(objects_rule("lamp", f"shop_{kind}", min_count=2, max_count=2), context)
    assert whole.status == "pass" and whole.value == 2
    assert whole.message == "Found 2 lamps in the window, as required."
    assert whole.threshold.min == 2 and whole.threshold.max == 2

    upper = objects.evaluate(objects_rule("lamp", f"shop_{kind}", zone="upper_half"), context)
    assert upper.status == "pass" and upper.value == 1
    assert upper.evidence[0] == ZoneBox((0, 0, 800, 300))
    box = upper.evidence[1]
    assert isinstance(box, Box) and box.label.startswith("lamp 0.9")
    assert np.allclose(box.box, LAMP_UPPER, atol=2)

    too_many = objects.evaluate(objects_rule("lamp", f"shop_{kind}", max_count=1), context)
    assert too_many.status == "fail" and too_many.value == 2
    assert too_many.message == "The window does not have the right number of them. (Seen 2 lamps; at most 1 allowed.)"

    posters_left = objects.evaluate(objects_rule("poster", f"shop_{kind}", zone="left_half"), context)
    assert posters_left.status == "fail" and posters_left.value == 0


def test_min_confidence_filters_detections(retailer_models):
    context = context_of(shop_scene(), retailer_models)
    assert objects.evaluate(objects_rule("lamp", "shop_yolov8", min_confidence=0.7, min_count=0), context).value == 2
    # The edge neighbours NMS suppressed (~0.75) must not come back at the default confidence.
    assert objects.evaluate(objects_rule("lamp", "shop_yolov8", min_count=0), context).value == 2
    # Far down, the model's weak responses (diagonal neighbours, the grey letterbox) count too.
    assert objects.evaluate(objects_rule("lamp", "shop_yolov8", min_confidence=0.1, min_count=0), context).value > 2
    assert objects.evaluate(objects_rule("lamp", "shop_yolov8", min_confidence=0.995, min_count=0), context).value == 0


def test_a_label_the_model_does_not_have_is_an_error(retailer_models):
    with pytest.raises(Exception, match="no label 'bottle'"):
        objects.evaluate(objects_rule("bottle", "shop_yolov8"), context_of(shop_scene(), retailer_models))


def test_the_retailer_manifest_can_extend_the_project_models(retailer_models):
    extended = Models(threads=1, extra_manifest=retailer_models.folder / "manifest.json")
    assert detection.family(extended.spec("shop_yolov5")) == "yolov5"
    assert detection.family(extended.spec("person_detect_mediapipe_blazepose")) == "blazepose"
    found = detection.detect(extended, "shop_yolov5", shop_scene())
    assert sum(d.score >= 0.5 for d in found) == 3


# --- the mediapipe person detector ---------------------------------------------------------------


@functools.cache
def project_models() -> Models:
    return Models(threads=1)


def photo(name: str) -> np.ndarray:
    rgb = getattr(skimage.data, name)()
    return cv2.resize(rgb, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)  # a phone-sized working image


def test_the_person_detector_finds_the_astronaut():
    rule = objects_rule("person", "person_detect_mediapipe_blazepose", min_confidence=0.75)
    result = objects.evaluate(rule, context_of(photo("astronaut"), project_models()))
    assert result.status == "pass" and result.value == 1
    (found,) = result.evidence
    assert isinstance(found, Box) and found.label.startswith("person 0.8")
    x, y, w, h = found.box
    assert w > 500 and h > 500  # the body, not just the face
    assert x <= 768 <= x + w  # around the astronaut, in the middle of the photo


def test_the_person_detector_finds_no_one_in_a_coffee_photo():
    rule = objects_rule("person", "person_detect_mediapipe_blazepose", min_confidence=0.75)
    result = objects.evaluate(rule, context_of(photo("coffee"), project_models()))
    assert result.status == "fail" and result.value == 0 and result.evidence == ()


def test_no_person_required_passes_on_the_coffee_photo():
    rule = objects_rule("person", "person_detect_mediapipe_blazepose", min_count=0, max_count=0, min_confidence=0.75)
    result = objects.evaluate(rule, context_of(photo("coffee"), project_models()))
    assert result.status == "pass" and result.message == "No person in the window, as required."
