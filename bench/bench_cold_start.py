"""Cold start of the Lambda artifacts, in fresh python3.12 processes, against a naive build.

Unpacks build/artifacts/x86_64/analyzer.zip (build it first: python infra/build_artifacts.py
--arch x86_64) into an empty temp folder and, in N fresh ``python3.12 -I -S`` processes whose
sys.path is the standard library plus only that folder, times:

- cold import: ``import app, chalicelib.analyzer.processing, chalicelib.vision.analysis`` (what the
  analyzer's first message loads);
- sessions: ``processor_for``'s verify() (sha256 of the shipped models) + one onnxruntime session
  per model the analyzer uses, from the unpacked models/ (VETRINA_MODELS_DIR);
- first analysis (cold) and the following analyses (warm) of a 12 MP JPEG with the demo guideline
  (every rule type) and its pack through chalicelib.vision.context.FolderPack;
- peak RSS (VmHWM) after each stage.

The naive build, in the same run: the same folder, but a wrapper imports every module first and
creates every session of the repository's full manifest (models/, all variants) eagerly.
Then ``import app`` of the unpacked api.zip (the API functions), N fresh processes.

    PYENV_VERSION=3.12.1 is used for the children; the parent runs in the project venv:
    .venv/bin/python bench/bench_cold_start.py [--runs 5] [--warm 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "artifacts" / "x86_64"
PY312 = ["python3.12"]
ANALYZER_MODELS = [
    "ocr_det_ppocrv4_int8",
    "ocr_rec_ppocrv4",
    "ocr_cls_ppocr_mobile_v2",
    "embed_efficientnet_lite0",
    "person_detect_mediapipe_blazepose",
    "objects_ssd_mobilenet_v2_coco",
]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
TARGET_COLD_S = 2.0
TARGET_API_S = 0.5

CHILD = r"""
import sys, time, json
t_start = time.perf_counter()
folder, mode, inputs, warm = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, folder)

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
out = {"mode": mode}
t0 = time.perf_counter()
if mode == "api":
    import app
    out["import_s"] = time.perf_counter() - t0
    out["import_hwm_mb"] = hwm()
    heavy = [m for m in ("numpy", "cv2", "onnxruntime", "PIL") if m in sys.modules]
    out["heavy_modules_loaded"] = heavy
    print(json.dumps(out)); sys.exit(0)
if mode == "naive":
    # everything imported and every model of the manifest loaded eagerly at import
    import cv2, numpy, onnxruntime, PIL.Image, pillow_heif, rapidfuzz
    import pkgutil, importlib
    import app, chalicelib.analyzer.processing
    import chalicelib.vision
    for info in pkgutil.walk_packages(chalicelib.vision.__path__, "chalicelib.vision."):
        importlib.import_module(info.name)
else:
    import app, chalicelib.analyzer.processing, chalicelib.vision.analysis
out["import_s"] = time.perf_counter() - t0
out["import_hwm_mb"] = hwm()
import cv2
cv2.setNumThreads(1)
from chalicelib.vision.inference import default_models
t0 = time.perf_counter()
models = default_models()
models.verify()
names = list(models.manifest) if mode == "naive" else json.loads(sys.argv[5])
for name in names:
    models.session(name)
out["sessions_s"] = time.perf_counter() - t0
out["sessions_hwm_mb"] = hwm()
out["models_loaded"] = len(names)
from pathlib import Path
from chalicelib.core.guideline import parse_guideline
from chalicelib.vision.analysis import analyse
from chalicelib.vision.context import FolderPack
inputs = Path(inputs)
guideline = parse_guideline(json.loads((inputs / "guideline.json").read_text()))
pack = FolderPack(inputs / "pack")
photo = (inputs / "photo.jpg").read_bytes()
t0 = time.perf_counter()
result = analyse(photo, guideline, pack)
out["first_s"] = time.perf_counter() - t0
out["first_hwm_mb"] = hwm()
res = getattr(result, "result", result)
if isinstance(res, dict):
    out["verdict"] = res.get("verdict")
    out["rules"] = {r["id"]: r["status"] for r in res.get("rules", [])}
times = []
for _ in range(warm):
    t0 = time.perf_counter()
    analyse(photo, guideline, pack)
    times.append(time.perf_counter() - t0)
out["warm_s"] = times
out["warm_hwm_mb"] = hwm()
out["cold_start_s"] = out["import_s"] + out["sessions_s"]
out["cv2_file"] = cv2.__file__
print(json.dumps(out))
"""


def unpack(zip_path: Path, into: Path) -> Path:
    if not zip_path.is_file():
        raise SystemExit(f"{zip_path} is missing: run `python infra/build_artifacts.py --arch x86_64` first")
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            z.extract(info, into)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(into / info.filename, mode)
    return into


def make_inputs(folder: Path) -> None:
    """A 12 MP phone JPEG with the poster up, the demo guideline and its pack (parent, project venv)."""
    from chalicelib.devtools import demo

    pack = demo.pack_files()
    (folder / "pack").mkdir(parents=True)
    for name, data in pack.items():
        (folder / "pack" / name).write_bytes(data)
    (folder / "guideline.json").write_text(json.dumps(demo.GUIDELINE))
    scene = demo._scene({demo.POSTER: pack[demo.POSTER]}, [demo.POSTER], (), (), (4000, 3000))
    (folder / "photo.jpg").write_bytes(scene.jpeg)


def child_env(models_dir: Path, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "VETRINA_"))}
    env.update(
        PYENV_VERSION="3.12.1",
        VETRINA_MODELS_DIR=str(models_dir),
        VETRINA_BACKEND="local",
        VETRINA_DATA_DIR=str(data_dir),
        VETRINA_ORT_THREADS="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    return env


def run_child(folder: Path, mode: str, inputs: Path, warm: int, env: dict[str, str]) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*PY312, "-I", "-S", "-B", "-c", CHILD, str(folder), mode, str(inputs), str(warm), json.dumps(ANALYZER_MODELS)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(inputs),
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} child failed:\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t0
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(label: str, runs: list[dict]) -> dict[str, tuple[float, float, float]]:
    rows = {}
    for key, hwm in (
        ("import_s", "import_hwm_mb"),
        ("sessions_s", "sessions_hwm_mb"),
        ("cold_start_s", "sessions_hwm_mb"),
        ("first_s", "first_hwm_mb"),
        ("warm_s", "warm_hwm_mb"),
    ):
        values = [v for r in runs for v in (r[key] if isinstance(r[key], list) else [r[key]])]
        rows[key] = (pct(values, 0.5), pct(values, 0.95), max(r[hwm] for r in runs))
    print(f"\n{label}  ({len(runs)} fresh python3.12 processes)")
    print(f"  {'stage':<26}{'p50 s':>9}{'p95 s':>9}{'peak RSS MB':>14}")
    names = {
        "import_s": "cold import",
        "sessions_s": "model sessions",
        "cold_start_s": "cold start (import+sessions)",
        "first_s": "first analysis (cold)",
        "warm_s": "warm analyses",
    }
    for key, (p50, p95, peak) in rows.items():
        print(f"  {names[key]:<26}{p50:>9.3f}{p95:>9.3f}{peak:>14.0f}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--artifacts", type=Path, default=ARTIFACTS)
    args = parser.parse_args()
    machine = platform.machine()
    print(
        f"machine: {machine}; children: PYENV_VERSION=3.12.1 python3.12 -I -S -B (stdlib + the unpacked artifact only; no bytecode written, /var/task is read-only)"
    )
    if machine != "x86_64":
        raise SystemExit("the x86_64 artifact runs only on an x86_64 machine")
    with tempfile.TemporaryDirectory(prefix="vetrina-cold-") as tmp:
        tmp = Path(tmp)
        analyzer = unpack(args.artifacts / "analyzer.zip", tmp / "analyzer")
        api = unpack(args.artifacts / "api.zip", tmp / "api")
        inputs = tmp / "inputs"
        inputs.mkdir()
        make_inputs(inputs)
        lazy_env = child_env(analyzer / "models", tmp / "data")
        naive_env = child_env(ROOT / "models", tmp / "data")  # the repository's full manifest (all variants)
        lazy, naive, apis = [], [], []
        for _ in range(args.runs):  # interleaved, so both builds see the same machine state
            lazy.append(run_child(analyzer, "lazy", inputs, args.warm, lazy_env))
            naive.append(run_child(analyzer, "naive", inputs, args.warm, naive_env))
            apis.append(run_child(api, "api", inputs, 0, child_env(tmp / "none", tmp / "data")))
        print(
            f"photo: 12 MP JPEG ({(inputs / 'photo.jpg').stat().st_size / 1e6:.1f} MB); guideline: demo (every rule type); "
            f"verdict {lazy[0].get('verdict')}; rules {lazy[0].get('rules')}"
        )
        a = summary(f"analyzer artifact (lazy, {lazy[0]['models_loaded']} models)", lazy)
        b = summary(f"naive build (everything imported, all {naive[0]['models_loaded']} manifest models eager)", naive)
        print("\n  naive / artifact ratio (p50):")
        for key in ("import_s", "sessions_s", "cold_start_s", "first_s", "warm_s"):
            print(f"    {key:<14} {b[key][0] / a[key][0]:.2f}x   (peak RSS {b[key][2] / a[key][2]:.2f}x)")
        api_times = [r["import_s"] for r in apis]
        heavy = sorted({m for r in apis for m in r["heavy_modules_loaded"]})
        print(
            f"\napi artifact: `import app` p50 {pct(api_times, 0.5):.3f} s, p95 {pct(api_times, 0.95):.3f} s, "
            f"peak RSS {max(r['import_hwm_mb'] for r in apis):.0f} MB; heavy modules loaded: {heavy or 'none'}"
        )
        cold_p95 = a["cold_start_s"][1]
        api_p95 = pct(api_times, 0.95)
        print(
            f"\ntargets: analyzer cold start (import + sessions) p95 {cold_p95:.2f} s vs <= {TARGET_COLD_S} s: "
            f"{'OK' if cold_p95 <= TARGET_COLD_S else 'MISSED'}; API import p95 {api_p95:.3f} s vs <= {TARGET_API_S} s: "
            f"{'OK' if api_p95 <= TARGET_API_S else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
