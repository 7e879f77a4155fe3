"""What a check shows for its judgement: where it looked and what it found, in working-image
pixels (see PhotoContext).

One frozen class per kind, so a check and the overlay agree on each kind's fields and a typo is
an error, not a shape nobody draws. ``to_json`` and ``evidence_from_json`` write and read the
JSON dicts that are stored with every result and served by the API, key for key as they have
always been: stored results stay readable and the API does not change.

Plain data, no image stack: the API may read results without loading numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

# The numbers are kept as the check made them (int pixels, or floats rounded to 0.1): the JSON
# must not change. Tuples, so evidence is as frozen as the classes holding it.
Rectangle = tuple[float, ...]  # x, y, w, h
Point = tuple[float, ...]  # x, y
Segment = tuple[float, ...]  # x1, y1, x2, y2


def _rectangle(values: Iterable[float]) -> Rectangle:
    x, y, w, h = values
    return x, y, w, h


def _tuples(rows: Iterable[Iterable[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(row) for row in rows)


@dataclass(frozen=True)
class Box:
    """Something found, framed: the sharpest area, a detected person."""

    kind: ClassVar[str] = "box"
    box: Rectangle
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", _rectangle(self.box))

    def to_json(self) -> dict[str, Any]:
        return _labelled({"kind": self.kind, "box": list(self.box)}, self.label)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Box:
        return cls(data["box"], data.get("label"))


@dataclass(frozen=True)
class ZoneBox:
    """Where a rule looked (the guideline's zone): drawn dashed, never numbered."""

    kind: ClassVar[str] = "zone"
    box: Rectangle
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "box", _rectangle(self.box))

    def to_json(self) -> dict[str, Any]:
        return _labelled({"kind": self.kind, "box": list(self.box)}, self.label)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ZoneBox:
        return cls(data["box"], data.get("label"))


@dataclass(frozen=True)
class Quad:
    """Something found in perspective: an artwork's outline, a read word."""

    kind: ClassVar[str] = "quad"
    points: tuple[Point, ...]
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _tuples(self.points))

    def to_json(self) -> dict[str, Any]:
        return _labelled({"kind": self.kind, "points": [list(p) for p in self.points]}, self.label)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quad:
        return cls(data["points"], data.get("label"))


@dataclass(frozen=True)
class Lines:
    """Straight segments a measure rests on: the dominant lines the tilt is read from."""

    kind: ClassVar[str] = "lines"
    segments: tuple[Segment, ...]
    label: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", _tuples(self.segments))

    def to_json(self) -> dict[str, Any]:
        return _labelled({"kind": self.kind, "points": [list(s) for s in self.segments]}, self.label)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Lines:
        return cls(data["points"], data.get("label"))


@dataclass(frozen=True)
class ColourCells:
    """Where a brand colour is: the grid cells it fills, with its measured and required share."""

    kind: ClassVar[str] = "colour"
    hex: str  # "#RRGGBB"
    name: str
    share: float
    min_share: float
    cells: tuple[Rectangle, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "cells", _tuples(self.cells))

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "hex": self.hex,
            "name": self.name,
            "share": self.share,
            "min_share": self.min_share,
            "cells": [list(c) for c in self.cells],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColourCells:
        return cls(data["hex"], data["name"], data["share"], data["min_share"], data.get("cells", ()))


@dataclass(frozen=True)
class Note:
    """Words for the reviewer and the legend: what was measured, read or not found."""

    kind: ClassVar[str] = "note"
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        return cls(data["text"])


Evidence = Box | ZoneBox | Quad | Lines | ColourCells | Note

# Every kind by its JSON name; a new kind is one class above and one entry here.
KINDS: dict[str, type[Box] | type[ZoneBox] | type[Quad] | type[Lines] | type[ColourCells] | type[Note]] = {
    cls.kind: cls for cls in (Box, ZoneBox, Quad, Lines, ColourCells, Note)
}


def _labelled(out: dict[str, Any], label: str | None) -> dict[str, Any]:
    # A kind's label is left out when there is none, as the checks always wrote it.
    if label is not None:
        out["label"] = label
    return out


def to_json(item: Evidence) -> dict[str, Any]:
    """The stored (and served) JSON of one evidence item."""
    return item.to_json()


def evidence_from_json(data: Mapping[str, Any]) -> Evidence:
    """The evidence item a stored JSON dict describes; ValueError for a kind nobody makes."""
    kind = data.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown evidence kind {kind!r}")
    return cls.from_json(data)
