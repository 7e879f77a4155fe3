"""What every check of one photo shares: the working image, the guideline pack, the models, and
a per-photo memo so that work is done once however many rules need it (an artwork found once
serves the artwork rule, the text rule that reads it and the overlay)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from chalicelib.core.guideline import Zone
from chalicelib.vision.inference import Models, default_models
from chalicelib.vision.intake import IntakeResult

T = TypeVar("T")


class PackMissing(KeyError):
    """A guideline names a pack file (artwork, reference photo) that is not there."""


class Pack(Protocol):
    """The files of a campaign's guideline pack, by name. A pack that can also list its files
    (``names()``) lets the artwork check learn a brand's template from the sibling posters."""

    def read(self, name: str) -> bytes: ...


class DictPack:
    def __init__(self, files: Mapping[str, bytes] | None = None):
        self._files = dict(files or {})

    def read(self, name: str) -> bytes:
        try:
            return self._files[name]
        except KeyError:
            raise PackMissing(name) from None

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._files))


class FolderPack:
    """Pack files beside a guideline file (the CLI)."""

    def __init__(self, folder: Path):
        self._folder = folder

    def read(self, name: str) -> bytes:
        path = self._folder / name
        if "/" in name or not path.is_file():
            raise PackMissing(name)
        return path.read_bytes()

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(path.name for path in self._folder.iterdir() if path.is_file()))


def digest(data: bytes) -> str:
    """A content key for per-process caches of pack files (decoded images, features)."""
    return hashlib.sha256(data).hexdigest()


class FrozenCache:
    """A per-process, thread-safe LRU of read-only arrays computed from pack files: a warm analyzer
    computes each once, and no analysis can change what the next photo is compared with."""

    def __init__(self, size: int):
        self._size = size
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], np.ndarray]) -> np.ndarray:
        with self._lock:
            cached = self._items.get(key)
            if cached is not None:
                self._items.move_to_end(key)
                return cached
        value = compute()  # outside the lock: two threads may both compute; the result is the same
        value.setflags(write=False)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


def _with_digest(data: bytes) -> tuple[bytes, str]:
    return data, digest(data)


class PhotoContext:
    def __init__(
        self,
        image: IntakeResult,
        pack: Pack | None = None,
        models: Models | None = None,
        artworks: tuple[str, ...] = (),
        _memo: dict[str, Any] | None = None,
        withdrawn: tuple[str, ...] = (),
    ):
        self.image = image
        self.pack = pack or DictPack()
        # The campaign's artworks (the pack files its rules look for): rivals for one region.
        self.artworks = artworks
        # Those of them the guideline forbids: looked for, but never where its brand colours are.
        self.withdrawn = withdrawn
        self._models = models
        self._memo: dict[str, Any] = {} if _memo is None else _memo

    def for_guideline(self, pack: Pack, artworks: tuple[str, ...], withdrawn: tuple[str, ...] = ()) -> PhotoContext:
        """The same photo judged against another guideline (an evaluation of many guidelines):
        work that depends on the photo alone is shared, work that depends on the guideline is
        keyed by what it depends on (``artworks``, and the pack files by their content)."""
        return PhotoContext(self.image, pack, self._models, artworks, self._memo, withdrawn)

    @property
    def models(self) -> Models:
        if self._models is None:
            self._models = default_models()
        return self._models

    @property
    def rgb(self) -> np.ndarray:
        return self.image.working

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the working image, the frame of every evidence coordinate."""
        height, width = self.image.working.shape[:2]
        return width, height

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per photo under ``key``; its exception is raised to every caller."""
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except Exception as exc:  # noqa: BLE001 - remembered, re-raised below
                self._memo[key] = exc
        value = self._memo[key]
        if isinstance(value, Exception):
            raise value
        return value

    def pack_file(self, name: str) -> tuple[bytes, str]:
        """A pack file's bytes and content digest, hashed once per photo (PackMissing if absent)."""
        return self.shared(f"pack:{id(self.pack)}:{name}", lambda: _with_digest(self.pack.read(name)))

    def zone_pixels(self, zone: Zone | None) -> tuple[int, int, int, int]:
        """The zone as (x, y, w, h) in working-image pixels; the whole photo when None."""
        width, height = self.size
        left, top, right, bottom = zone.box if zone is not None else (0.0, 0.0, 1.0, 1.0)
        x0, y0 = round(left * width), round(top * height)
        return x0, y0, max(1, round(right * width) - x0), max(1, round(bottom * height) - y0)
