"""ONNX models from ``models/``: the manifest, sha256 checks, and one session per model per process.

Sessions are created lazily (a cold start loads only what the guideline needs) and kept for the
life of the process (a warm Lambda reuses them). A model file that is missing or does not match
its manifest sha256 is a ModelError naming the file, never a wrong verdict; ``verify`` checks
them all at start.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "models"


class ModelError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Models:
    def __init__(self, folder: Path = DEFAULT_FOLDER, threads: int = 1, extra_manifest: Path | None = None):
        self.folder = folder
        self.threads = threads
        self._extra_manifest = extra_manifest
        self._sessions: dict[str, Any] = {}
        self._verified: set[str] = set()
        self._lock = threading.Lock()

    @functools.cached_property
    def manifest(self) -> dict[str, dict[str, Any]]:
        """Model entries by name: the project's manifest, plus a retailer's own if configured."""
        entries: dict[str, dict[str, Any]] = {}
        for path in filter(None, (self.folder / "manifest.json", self._extra_manifest)):
            try:
                document = json.loads(path.read_text())
            except FileNotFoundError:
                raise ModelError(f"model manifest {path} is missing") from None
            except ValueError as err:
                raise ModelError(f"model manifest {path} is not valid JSON: {err}") from None
            for entry in document["models"]:
                entries[entry["name"]] = {**entry, "_folder": str(path.parent)}
        return entries

    def spec(self, name: str) -> dict[str, Any]:
        try:
            return self.manifest[name]
        except KeyError:
            raise ModelError(f"model {name!r} is not in the manifest; known: {', '.join(sorted(self.manifest))}") from None

    def path(self, name: str, file_key: str = "file") -> Path:
        spec = self.spec(name)
        return Path(spec["_folder"]) / spec[file_key]

    def verify(self, names: list[str] | None = None) -> None:
        """Check that each model file exists and matches its sha256 (all models by default)."""
        for name in names if names is not None else list(self.manifest):
            if name in self._verified:
                continue
            spec, path = self.spec(name), self.path(name)
            if not path.is_file():
                raise ModelError(f"model file {path} of {name!r} is missing: run `python models/build.py`")
            if _sha256(path) != spec["sha256"]:
                raise ModelError(f"model file {path} of {name!r} does not match its sha256 in the manifest: rebuild it")
            self._verified.add(name)

    def session(self, name: str) -> Any:
        """The onnxruntime session of a model, created on first use."""
        session = self._sessions.get(name)
        if session is not None:
            return session
        with self._lock:
            if name not in self._sessions:
                import onnxruntime as ort

                self.verify([name])
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                try:
                    self._sessions[name] = ort.InferenceSession(str(self.path(name)), options, providers=["CPUExecutionProvider"])
                except Exception as err:  # onnxruntime raises its own exception types
                    raise ModelError(f"model {name!r} could not be loaded: {err}") from None
            return self._sessions[name]


@functools.lru_cache(maxsize=1)
def default_models() -> Models:
    """The process's models: VETRINA_MODELS_DIR (default models/), VETRINA_ORT_THREADS (default 1),
    and VETRINA_EXTRA_MODELS (a retailer's own manifest.json, with its model files beside it)."""
    folder = Path(os.environ.get("VETRINA_MODELS_DIR", str(DEFAULT_FOLDER)))
    extra = os.environ.get("VETRINA_EXTRA_MODELS")
    return Models(folder, threads=int(os.environ.get("VETRINA_ORT_THREADS", "1")), extra_manifest=Path(extra) if extra else None)
