"""The Lambda deployment artifacts: built offline from PyPI wheels for python3.12, within Lambda's
size limits (the API a zip, the analyzer a container image), the API artifact free of the image
stack, and its app.py serving a route in a fresh python3.12 process from the unpacked zip alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.helpers import api_gateway_event, package_index_reachable, python312

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "infra" / "build_artifacts.py"
HEAVY = ("numpy", "cv2", "onnxruntime", "PIL", "pillow_heif", "opencv_python_headless.libs", "numpy.libs")


def _wheels_cached() -> bool:
    cache = Path(os.environ.get("VETRINA_ARTIFACT_CACHE", Path.home() / ".cache" / "vetrina-artifacts")) / "cp312-x86_64"
    return cache.is_dir() and len(list(cache.glob("*.whl"))) >= 14


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not (_wheels_cached() or package_index_reachable()):
        pytest.skip("the package index is unreachable and the wheel cache is empty: cannot build the artifacts")
    out = tmp_path_factory.mktemp("artifacts")
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--arch", "x86_64", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    if proc.returncode not in (0, 1):
        pytest.fail(f"build_artifacts.py crashed:\n{proc.stderr[-4000:]}")
    return out, proc


def _row(stdout: str, artifact: str) -> list[str]:
    for line in stdout.splitlines():
        cells = line.split()
        if cells[:2] == [artifact, "x86_64"]:
            return cells
    raise AssertionError(f"no size row for {artifact}:\n{stdout}")


def test_api_artifact_fits_and_has_no_image_stack(built):
    out, proc = built
    row = _row(proc.stdout, "api")
    assert row[-1] == "OK", proc.stdout
    with zipfile.ZipFile(out / "x86_64" / "api.zip") as z:
        names = z.namelist()
    tops = {n.split("/")[0] for n in names}
    assert not tops & set(HEAVY), sorted(tops & set(HEAVY))
    assert not any(n.startswith("chalicelib/vision/") for n in names)
    assert {"app.py", "chalice/__init__.py", "chalice/app.py", "chalicelib/api/http.py"} <= set(names)
    assert any(n.startswith("pydantic_core/_pydantic_core.cpython-312-x86_64") for n in names)


def test_analyzer_artifact_size(built, capsys):
    """The analyzer ships as a container image (infra/analyzer/Dockerfile stages this same tree as
    its task root): checked against the 10 GB image limit, not the 250 MB zip limit."""
    out, proc = built
    row = _row(proc.stdout, "analyzer")
    with zipfile.ZipFile(out / "x86_64" / "analyzer.zip") as z:
        names = set(z.namelist())
    assert {"models/manifest.json", "models/ppocrv4_det.int8.onnx", "models/ppocrv4_rec.onnx"} <= names
    assert "models/ppocrv4_det.onnx" not in names  # the fp32 det is not used by the analyzer
    assert {"app.py", "chalice/__init__.py", "chalice/app.py"} <= names
    assert not any(n.startswith(("chalice/cli/", "chalice/deploy/")) for n in names)  # the runtime only
    assert "10 GB image" in " ".join(row), row
    assert row[-1] == "OK", proc.stdout
    with capsys.disabled():
        print(f"\nanalyzer (x86_64): zipped {row[2]} MiB, task root {row[3]} MiB; {' '.join(row[4:])}")


def test_api_zip_serves_a_route_in_fresh_python312(built, tmp_path):
    py = python312()
    if py is None:
        pytest.skip("python3.12 (PYENV_VERSION=3.12.1) is not available")
    out, _ = built
    folder = tmp_path / "api"
    with zipfile.ZipFile(out / "x86_64" / "api.zip") as z:
        z.extractall(folder)
    event = api_gateway_event("/campaigns", {"limit": "5"})
    code = (
        "import sys, json, time\n"
        f"sys.path.insert(0, {str(folder)!r})\n"
        "t0 = time.perf_counter()\n"
        "import app\n"
        "t = time.perf_counter() - t0\n"
        "response = app.app(json.loads(sys.argv[1]), None)\n"
        "heavy = [m for m in ('numpy', 'cv2', 'onnxruntime', 'PIL') if m in sys.modules]\n"
        "print(json.dumps({'response': response, 'import_s': t, 'heavy': heavy}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "VETRINA_"))}
    env.update(PYENV_VERSION="3.12.1", VETRINA_BACKEND="local", VETRINA_AUTH="cognito", VETRINA_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run(
        [*py, "-I", "-S", "-c", code, json.dumps(event)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    response = result["response"]
    assert response["statusCode"] == 200, response
    assert "items" in json.loads(response["body"]) or isinstance(json.loads(response["body"]), dict)
    assert result["heavy"] == []
