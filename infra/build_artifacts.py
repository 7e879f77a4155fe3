"""Build Vetrina's Lambda deployment artifacts offline from PyPI wheels, and check their size.

For the Lambda runtime python3.12 (Amazon Linux 2023, glibc 2.34: manylinux_2_28 wheels run there)
and for x86_64 and/or arm64, this script

1. downloads the pinned wheels (versions from requirements.txt) for that platform with
   ``pip download --only-binary=:all: --platform manylinux_2_28_<arch> --platform
   manylinux2014_<arch> --python-version 3.12 --implementation cp --no-deps`` into a cache
   (default ~/.cache/vetrina-artifacts; a later run resolves from the cache with --no-index first);
2. unpacks them into a staging folder per artifact, trims what the function never loads;
3. writes ``<out>/<arch>/api.zip`` and ``<out>/<arch>/analyzer.zip`` and prints a size table.

Artifacts
- api: app.py, chalicelib/ without vision/ and the local-only entry points, chalice's runtime
  (chalice/__init__.py + chalice/app.py, the two files Chalice's own packager adds), and the API's
  dependencies (pydantic stack, PyYAML, python-multipart, PyJWT). boto3/botocore are NOT bundled: the
  python3.12 Lambda runtime ships them and the API uses only long-stable S3/DynamoDB/SQS calls
  (``--bundle-boto3`` adds them: +~25 MB zipped / ~100 MB unzipped, and a slower cold import).
  A zip function: the CDK app (infra/) hands this staging to chalice.cdk as its ``vendor/``.
- analyzer: app.py, chalicelib/, chalice's runtime, the image stack (numpy, opencv-python-
  headless, onnxruntime, pillow, pillow-heif, rapidfuzz) + pydantic stack + PyYAML, trimmed, and
  models/ with only the models the analyzer uses and a manifest.json that lists only those (so
  ``processor_for``'s ``verify()`` of every manifest entry passes). It ships as a container image
  (infra/analyzer/Dockerfile runs ``--stage-analyzer`` of this script inside the image build, so the
  image's task root is this very tree); analyzer.zip is the same tree, for the size check and the
  cold-start bench.

Limits checked: for the api zip, 250 MB (262,144,000 bytes) unzipped with its layers and 50 MB
zipped for a direct upload (an S3-uploaded zip may be larger zipped; the unzipped limit holds).
For the analyzer image, 10 GB uncompressed image including all layers: the task root plus an
allowance for the public.ecr.aws/lambda/python:3.12 base image (not measurable offline).
Exit status 1 when a limit is exceeded (``--allow-s3-upload`` applies the S3 rule to "zipped").

    python infra/build_artifacts.py --arch both
    python infra/build_artifacts.py --check-only
    python infra/build_artifacts.py --arch auto --stage-analyzer /opt/task   # in the image build
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "build" / "artifacts"
DEFAULT_CACHE = Path(os.environ.get("VETRINA_ARTIFACT_CACHE", Path.home() / ".cache" / "vetrina-artifacts"))
PYTHON_VERSION = "3.12"
ARCHES = ("x86_64", "arm64")
PLATFORM_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}

MB = 1024 * 1024
UNZIPPED_LIMIT = 262_144_000  # 250 MB as AWS counts it (zip function + all its layers)
ZIPPED_DIRECT_LIMIT = 50 * MB  # direct upload of the zip through the Lambda API
IMAGE_LIMIT = 10 * 1024 * MB  # container image: 10 GB uncompressed, all layers included
# The base image (public.ecr.aws/lambda/python:3.12: Amazon Linux 2023, Python 3.12, boto3, the
# runtime interface client) cannot be pulled here to be measured; this is a generous allowance
# for it in the image-size check, not a measurement.
BASE_IMAGE_ALLOWANCE = 1024 * MB

# Distributions per artifact (versions come from requirements.txt, the rest are pinned here:
# they are transitive dependencies of pydantic that requirements.txt does not list).
TRANSITIVE_PINS = {
    "pydantic-core": "2.50.5",  # exactly what pydantic 2.14.4 requires
    "annotated-types": "0.8.0",
    "typing-extensions": "4.16.0",
    "typing-inspection": "0.4.5",
}
# PyJWT: chalicelib.core.auth imports it (the local backend's tokens; HS256 needs no cryptography).
API_DISTS = [
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "PyYAML",
    "python-multipart",
    "PyJWT",
]
IMAGE_DISTS = ["numpy", "opencv-python-headless", "onnxruntime", "pillow", "pillow-heif", "rapidfuzz"]
# onnxruntime declares flatbuffers, packaging, protobuf (and coloredlogs/sympy in older versions):
# none of them is imported by `import onnxruntime` + InferenceSession/run (checked by the bench and
# tests/infra/test_artifacts.py, which run a full analysis from the unpacked artifact), so not bundled.
ANALYZER_DISTS = API_DISTS + IMAGE_DISTS
BOTO_DISTS = ["boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"]

# The models the analyzer loads (chalicelib/vision/ocr.py, embedding.py, detection.py).
ANALYZER_MODELS = [
    "ocr_det_ppocrv4_int8",
    "ocr_rec_ppocrv4",
    "ocr_cls_ppocr_mobile_v2",
    "embed_efficientnet_lite0",
    "person_detect_mediapipe_blazepose",
    "objects_ssd_mobilenet_v2_coco",
]

# chalicelib packages a function never imports, by role (docs/ARCHITECTURE.md): the API leaves out
# the image domain and the analyzer that runs it; neither ships the local backend or the dev tools.
API_EXCLUDE = ["chalicelib/vision/*", "chalicelib/analyzer/*", "chalicelib/local/*", "chalicelib/devtools/*"]
ANALYZER_EXCLUDE = ["chalicelib/local/*", "chalicelib/devtools/*"]

# What is dropped from the unpacked wheels (paths relative to the staging root, fnmatch style;
# "*" crosses "/"). Each is outside what `import cv2, numpy, onnxruntime, PIL, pillow_heif,
# rapidfuzz` and a real analysis load; the bench and the test run that analysis from the result.
COMMON_TRIM = [
    "*/__pycache__/*",
    "*.pyc",
    "*.pyi",
    "*/py.typed",
    "*.dist-info/RECORD",
    "*.dist-info/INSTALLER",
    "*.dist-info/REQUESTED",
    "*.dist-info/licenses/*",
    "*.dist-info/LICENSE*",
    "*.dist-info/sboms/*",
    "bin/*",  # console scripts (f2py, numpy-config, onnxruntime_test ...)
]
ANALYZER_TRIM = [
    # numpy: tests, f2py (Fortran wrapper generator), typing stubs, build helpers
    "numpy/*/tests/*",
    "numpy/tests/*",
    "numpy/f2py/*",
    "numpy/typing/*",
    "numpy/_pyinstaller/*",
    "numpy/_core/include/*",
    "numpy/_core/lib/*",
    "numpy/random/_examples/*",
    "numpy/random/lib/*",
    "numpy/random/*.pxd",
    "numpy/*.pxd",
    "numpy/_core/*.pxd",
    "numpy/testing/_private/extbuild.py",
    "numpy/doc/*",
    "numpy/_core/tests/*",
    "numpy/_core/_*_tests.cpython-*.so",
    "numpy/_core/_simd.cpython-*.so",
    # cv2: Haar/LBP cascades (cv2.data, never used), the typing package, stub-only folders
    # (cv2/__init__.py needs config.py, config-3.py, load_config_py3.py and imports its small
    # Python sub-packages at import, so those stay)
    "cv2/data/*",
    "cv2/LICENSE-3RD-PARTY.txt",
    # onnxruntime: offline tools, training, quantization, transformers optimisers, docs
    "onnxruntime/tools/*",
    "onnxruntime/transformers/*",
    "onnxruntime/quantization/*",
    "onnxruntime/training/*",
    "onnxruntime/datasets/*",
    "onnxruntime/backend/*",
    "onnxruntime/*.md",
    "onnxruntime/LICENSE",
    "onnxruntime/ThirdPartyNotices.txt",
    "onnxruntime/Privacy.md",
    "onnxruntime/capi/*.pdb",
    # the C/C++ API library: the Python binding (onnxruntime_pybind11_state*.so) embeds the runtime
    # and does not link it (readelf -d: no NEEDED entry for it; nothing dlopens it on CPU)
    "onnxruntime/capi/libonnxruntime.so.*",
    # pillow: headers for C extensions
    "PIL/*.h",
    # rapidfuzz: C++ headers and the Cython sources
    "rapidfuzz/*.pxd",
    "rapidfuzz/*.cpp",
    "rapidfuzz/*.hpp",
    "rapidfuzz/__pyinstaller/*",
    # pydantic: the pydantic v1 compatibility package (`pydantic.v1`), mypy plugin
    "pydantic/v1/*",
    "pydantic/mypy.py",
    # PyYAML: the pure-Python fallback of the C loader is still needed; drop the old _yaml shim only
]
API_TRIM = ["pydantic/v1/*", "pydantic/mypy.py"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pins() -> dict[str, str]:
    """Distribution name (normalised) → version, from requirements.txt plus TRANSITIVE_PINS."""
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[normalise(name)] = version.strip()
    for name, version in TRANSITIVE_PINS.items():
        found.setdefault(normalise(name), version)
    return found


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def platforms(arch: str) -> list[str]:
    machine = PLATFORM_ARCH[arch]
    return [f"manylinux_2_28_{machine}", f"manylinux_2_17_{machine}", f"manylinux2014_{machine}"]


def download(dists: list[str], arch: str, cache: Path) -> dict[str, Path]:
    """The wheel of each distribution for the arch, from the cache or PyPI; name → path."""
    versions = pins()
    folder = cache / f"cp312-{arch}"
    folder.mkdir(parents=True, exist_ok=True)
    specs = [f"{d}=={versions[normalise(d)]}" for d in dists]
    base = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "-q",
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--no-deps",
        "-d",
        str(folder),
    ]
    for tag in platforms(arch):
        base += ["--platform", tag]
    offline = subprocess.run(base + ["--no-index", "--find-links", str(folder), *specs], capture_output=True, text=True)
    if offline.returncode != 0:
        log(f"[{arch}] downloading {len(specs)} wheels from PyPI into {folder}")
        online = subprocess.run(base + specs, capture_output=True, text=True)
        if online.returncode != 0:
            raise SystemExit(f"pip download failed for {arch}:\n{online.stderr[-3000:]}")
    wheels = {}
    for dist in dists:
        want = normalise(dist).replace("-", "_")
        version = versions[normalise(dist)]
        matches = [
            w
            for w in folder.glob("*.whl")
            if normalise(w.name.split("-")[0]).replace("-", "_") == want
            and w.name.split("-")[1] == version
            and _wheel_fits(w.name, arch)
        ]
        if not matches:
            raise SystemExit(f"no wheel of {dist}=={version} for {arch} in {folder}")
        wheels[dist] = sorted(matches)[-1]
    return wheels


def _wheel_fits(filename: str, arch: str) -> bool:
    platform_tag = filename[:-4].split("-")[-1]
    return platform_tag == "any" or PLATFORM_ARCH[arch] in platform_tag


def unpack(wheel: Path, target: Path) -> None:
    """Install a wheel's files the way pip would (purelib/platlib of *.data merged to the root)."""
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            name = info.filename
            parts = name.split("/")
            if parts[0].endswith(".data"):
                if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                    name = "/".join(parts[2:])
                else:
                    continue  # scripts, headers, data: not needed in a Lambda
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(dest, mode | 0o444)


def trim(staging: Path, patterns: list[str]) -> tuple[int, int]:
    """Delete the files that match; returns (files, bytes) removed."""
    files = removed = 0
    for path in sorted(staging.rglob("*")):
        if path.is_file() or path.is_symlink():
            rel = path.relative_to(staging).as_posix()
            if any(fnmatch.fnmatch(rel, p) for p in patterns):
                removed += path.stat().st_size
                files += 1
                path.unlink()
    for path in sorted(staging.rglob("*"), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return files, removed


def copy_app(staging: Path, exclude: list[str]) -> None:
    shutil.copy2(ROOT / "app.py", staging / "app.py")
    for path in sorted((ROOT / "chalicelib").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if not path.is_file() or "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        if any(fnmatch.fnmatch(rel, p) for p in exclude):
            continue
        dest = staging / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    # Chalice's runtime, as chalice's own packager adds it (deploy/packager.py _iter_app_filenames):
    # the package's __init__.py and app.py only (pure Python).
    (staging / "chalice").mkdir(exist_ok=True)
    for name, data in chalice_runtime().items():
        (staging / "chalice" / name).write_bytes(data)


def chalice_pin() -> str:
    """chalice's version from requirements-dev.txt (the chalice the app is developed and packaged with)."""
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and normalise(line.split("==", 1)[0].split("[", 1)[0]) == "chalice":
            return line.split("==", 1)[1].strip()
    raise SystemExit("requirements-dev.txt pins no chalice version")


def chalice_runtime(cache: Path = DEFAULT_CACHE) -> dict[str, bytes]:
    """chalice/__init__.py and chalice/app.py of the pinned chalice: from the installed chalice when it
    is that version (as chalice's packager takes them), else from its wheel (the image build, which
    installs no chalice: its CLI dependencies have no place in a Lambda)."""
    version = chalice_pin()
    try:
        import chalice
        import chalice.app

        if chalice.__version__ == version:
            return {"__init__.py": Path(chalice.__file__).read_bytes(), "app.py": Path(chalice.app.__file__).read_bytes()}
    except ImportError:
        pass
    folder = cache / "chalice"
    folder.mkdir(parents=True, exist_ok=True)
    wheels = sorted(folder.glob(f"chalice-{version}-py3-none-any.whl"))
    if not wheels:
        log(f"downloading the chalice {version} wheel (its runtime files only are used)")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--disable-pip-version-check",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(folder),
                f"chalice=={version}",
            ],
            capture_output=True,
            text=True,
        )
        wheels = sorted(folder.glob(f"chalice-{version}-py3-none-any.whl"))
        if proc.returncode != 0 or not wheels:
            raise SystemExit(f"pip download chalice=={version} failed:\n{proc.stderr[-3000:]}")
    with zipfile.ZipFile(wheels[-1]) as z:
        return {name: z.read(f"chalice/{name}") for name in ("__init__.py", "app.py")}


def copy_models(staging: Path, names: list[str]) -> None:
    """models/ with the named models, the files their entries refer to, and a manifest of them only."""
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    by_name = {m["name"]: m for m in manifest["models"]}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise SystemExit(f"models/manifest.json has no {missing}")
    target = staging / "models"
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        for file in _referenced_files(by_name[name]):
            shutil.copy2(ROOT / "models" / file, target / file)
    kept = {
        **manifest,
        "models": [by_name[n] for n in names],
        "packaged_by": "infra/build_artifacts.py (analyzer artifact: only the models the analyzer loads)",
    }
    (target / "manifest.json").write_text(json.dumps(kept, indent=2) + "\n")


def _referenced_files(entry: object) -> set[str]:
    found: set[str] = set()
    if isinstance(entry, dict):
        for key, value in entry.items():
            if key == "file" and isinstance(value, str) and (ROOT / "models" / value).is_file():
                found.add(value)
            else:
                found |= _referenced_files(value)
    elif isinstance(entry, list):
        for value in entry:
            found |= _referenced_files(value)
    return found


def write_zip(staging: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for path in sorted(staging.rglob("*")):
            if path.is_dir():
                continue
            rel = path.relative_to(staging).as_posix()
            info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            mode = stat.S_IMODE(path.stat().st_mode) | 0o444
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src:
                z.writestr(info, src.read(), compresslevel=9)
    tmp.replace(target)


ARTIFACTS = {
    # artifact: (distributions, chalicelib exclusions, trim patterns)
    "api": (API_DISTS, API_EXCLUDE, COMMON_TRIM + API_TRIM),
    "analyzer": (ANALYZER_DISTS, ANALYZER_EXCLUDE, COMMON_TRIM + ANALYZER_TRIM),
}


def stage(artifact: str, arch: str, staging: Path, cache: Path = DEFAULT_CACHE, bundle_boto3: bool = False) -> Path:
    """The artifact's tree, as the function's task root will hold it, in ``staging`` (replaced)."""
    dists, exclude, patterns = ARTIFACTS[artifact]
    if bundle_boto3:
        for dist in BOTO_DISTS:
            if normalise(dist) not in pins():
                raise SystemExit(f"--bundle-boto3 needs {dist} pinned in requirements.txt or TRANSITIVE_PINS")
        dists = dists + BOTO_DISTS
    wheels = download(dists, arch, cache)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for wheel in wheels.values():
        unpack(wheel, staging)
    before = tree_size(staging)
    files, removed = trim(staging, patterns)
    log(f"[{arch}] {artifact}: wheels unpack to {before / MB:.1f} MB; trimmed {files} files, {removed / MB:.1f} MB")
    copy_app(staging, exclude)
    if artifact == "analyzer":
        copy_models(staging, ANALYZER_MODELS)
    precompile(staging)
    return staging


def build(arch: str, out: Path, cache: Path, bundle_boto3: bool) -> None:
    for artifact in ARTIFACTS:
        staging = stage(artifact, arch, out / "staging" / arch / artifact, cache, bundle_boto3)
        write_zip(staging, out / arch / f"{artifact}.zip")


def machine_arch() -> str:
    """This machine's Lambda architecture name (the image build runs on the image's platform)."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64"):
        return "arm64"
    raise SystemExit(f"no Lambda architecture for machine {machine!r}")


def precompile(staging: Path) -> None:
    """Ship python3.12 bytecode: /var/task is read-only, so without it every cold start compiles
    every imported module from source (measured: `import app` of the API 0.77 s without, far less
    with). unchecked-hash pycs stay valid whatever mtimes the unzip gives the sources."""
    if sys.version_info[:2] == (3, 12):
        python = [sys.executable]  # e.g. inside the image build, on the Lambda base image
    else:
        python = ["python3.12"]  # pyenv's (PYENV_VERSION below) or the machine's
    env = {**os.environ, "PYENV_VERSION": "3.12.1"}
    try:
        proc = subprocess.run(
            [*python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(staging)],
            capture_output=True,
            text=True,
            env=env,
        )
    except FileNotFoundError:
        log("no python3.12 here: the artifact ships without bytecode (slower cold starts)")
        return
    if proc.returncode != 0:
        # compileall exits 1 when a file does not compile (e.g. Python-2-only leftovers): report, go on
        log(f"compileall (python3.12) reported: {(proc.stdout + proc.stderr)[-1500:]}")


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def zip_sizes(path: Path) -> tuple[int, int]:
    with zipfile.ZipFile(path) as z:
        return path.stat().st_size, sum(i.file_size for i in z.infolist())


def check(out: Path, arches: list[str], allow_s3_upload: bool) -> bool:
    """The size table: the api zip against the zip limits, the analyzer (a container image) against
    the image limit, its task root (= the unzipped analyzer artifact) plus the base-image allowance."""
    rows, ok_all = [], True
    for arch in arches:
        for artifact in ("api", "analyzer"):
            path = out / arch / f"{artifact}.zip"
            if not path.is_file():
                rows.append((artifact, arch, "-", "-", "-", "MISSING"))
                ok_all = False
                continue
            zipped, unzipped = zip_sizes(path)
            if artifact == "analyzer":
                image = unzipped + BASE_IMAGE_ALLOWANCE
                ok = image <= IMAGE_LIMIT
                limit = f"10 GB image (task root + {BASE_IMAGE_ALLOWANCE // MB} MB base = {image / MB:.0f} MB)"
                status = "OK" if ok else "OVER (image)"
            else:
                zipped_ok = allow_s3_upload or zipped <= ZIPPED_DIRECT_LIMIT
                ok = unzipped <= UNZIPPED_LIMIT and zipped_ok
                limit = "zip: 250 MB unzipped" + ("" if allow_s3_upload else ", 50 MB zipped")
                status = (
                    "OK"
                    if ok
                    else ("OVER" + ("" if unzipped <= UNZIPPED_LIMIT else " (unzipped)") + ("" if zipped_ok else " (zipped)"))
                )
            ok_all &= ok
            rows.append((artifact, arch, f"{zipped / MB:.1f}", f"{unzipped / MB:.1f}", limit, status))
    header = ("artifact", "arch", "zipped MB", "unzipped MB", "limit", "status")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print(
        f"(MB = MiB; Lambda's unzipped zip limit is 262,144,000 bytes = {UNZIPPED_LIMIT / MB:.1f} MiB, "
        f"direct-upload zipped limit 50 MiB; the analyzer ships as a container image: 10 GB uncompressed, "
        f"its unzipped size is the image's task root, plus {BASE_IMAGE_ALLOWANCE // MB} MiB allowed for the base image)"
    )
    return ok_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--arch", choices=(*ARCHES, "both", "auto"), default="both", help="auto: this machine's architecture (the image build)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--check-only", action="store_true", help="only re-check the sizes of existing artifacts")
    parser.add_argument("--bundle-boto3", action="store_true", help="bundle boto3/botocore instead of using the runtime's")
    parser.add_argument(
        "--allow-s3-upload", action="store_true", help="the zips are deployed through S3: only the unzipped limit applies"
    )
    parser.add_argument(
        "--stage-analyzer",
        type=Path,
        metavar="DIR",
        help="only stage the analyzer's tree into DIR (the container image's task root), one arch",
    )
    args = parser.parse_args(argv)
    arches = [machine_arch()] if args.arch == "auto" else list(ARCHES) if args.arch == "both" else [args.arch]
    if args.stage_analyzer:
        if len(arches) != 1:
            parser.error("--stage-analyzer takes one --arch (or auto)")
        staging = stage("analyzer", arches[0], args.stage_analyzer, args.cache, args.bundle_boto3)
        print(f"analyzer task root for {arches[0]}: {tree_size(staging) / MB:.1f} MiB in {staging}")
        return 0
    if not args.check_only:
        for arch in arches:
            build(arch, args.out, args.cache, args.bundle_boto3)
    return 0 if check(args.out, arches, args.allow_s3_upload) else 1


if __name__ == "__main__":
    sys.exit(main())
