"""The annotated picture: each rule's evidence drawn on the photo in its status colour, marked
with the rule's number (its place in the result's rules, from 1).

No words are drawn: the pages render the legend from the result, next to the picture, in the
reader's language and readable by a screen reader (a legend drawn into the JPEG was neither, and
unreadable on a phone); ``cli check`` numbers its rule table the same way.

Evidence is in working-image pixels (see PhotoContext); drawn: a Box, a Quad's outline, Lines,
a ZoneBox (dashed), ColourCells (the cells outlined in that colour); a Note is the legend's only.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from chalicelib.vision.evidence import KINDS, Box, ColourCells, Evidence, Lines, Quad, ZoneBox
from chalicelib.vision.verdict import AnalysisResult, RuleResult

OUTPUT_WIDTH = 1280  # wide enough to read, small enough for a phone on a shop's connection
STATUS_COLOURS = {
    "pass": (30, 150, 80),
    "fail": (215, 40, 30),
    "uncertain": (240, 165, 0),
    "error": (120, 120, 120),
    "skipped": (120, 120, 120),
}
# What a passed rule still shows: where the poster, the words and the objects were found. Other
# passed evidence (tilt lines, zones, colour cells) would only clutter the picture.
DRAWN_WHEN_PASSED = ("artwork_present", "text", "objects")
_FONT_FILES = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf")
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@functools.lru_cache(maxsize=8)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for folder in _FONT_DIRS:
        path = folder / _FONT_FILES[0 if bold else 1]
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)  # Pillow's bundled font: always there, also in Lambda


def _dashed_rectangle(draw: ImageDraw.ImageDraw, box: Sequence[float], colour: tuple, width: int) -> None:
    x, y, w, h = box
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
    dash = width * 4
    for (x0, y0), (x1, y1) in zip(corners, corners[1:]):
        length = max(abs(x1 - x0), abs(y1 - y0))
        steps = max(1, int(length // (2 * dash)))
        for i in range(steps):
            a, b = (2 * i) / (2 * steps), (2 * i + 1) / (2 * steps)
            draw.line(
                [(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a), (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)], fill=colour, width=width
            )


def _tag(draw: ImageDraw.ImageDraw, at: tuple[float, float], number: int, colour: tuple, size: int) -> None:
    """A numbered disc that ties a drawing to its line in the page's legend."""
    x, y = at
    r = size * 0.75
    x, y = max(r, x), max(r, y)
    draw.ellipse([x - r, y - r, x + r, y + r], fill=colour, outline=(255, 255, 255), width=max(2, size // 10))
    draw.text((x, y), str(number), fill=(255, 255, 255), font=_font(size, bold=True), anchor="mm")


def _draw_evidence(
    draw: ImageDraw.ImageDraw, item: Evidence, colour: tuple, scale: float, width: int
) -> tuple[float, float] | None:
    """Draw one evidence item; return where its number tag goes (None if nothing was drawn)."""
    if isinstance(item, ZoneBox):
        x, y, w, h = (v * scale for v in item.box)
        _dashed_rectangle(draw, (x, y, w, h), colour, max(2, width // 2))
        return None
    if isinstance(item, Box):
        x, y, w, h = (v * scale for v in item.box)
        draw.rectangle([x, y, x + w, y + h], outline=colour, width=width)
        if item.label:  # what was found ("handbag 0.82"), inside the box's bottom edge
            font = _font(max(12, width * 4))
            left, top, right, bottom = draw.textbbox((0, 0), item.label, font=font)
            tx, ty = x + width, y + h - width - (bottom - top) - 2 * width
            draw.rectangle([tx, ty, tx + (right - left) + 2 * width, ty + (bottom - top) + 2 * width], fill=colour)
            draw.text((tx + width - left, ty + width - top), item.label, fill=(255, 255, 255), font=font)
        return x, y
    if isinstance(item, Quad):
        points = [(px * scale, py * scale) for px, py in item.points]
        draw.line(points + points[:1], fill=colour, width=width, joint="curve")
        return min(points, key=lambda p: p[0] + p[1])
    if isinstance(item, Lines):
        for x1, y1, x2, y2 in item.segments:
            draw.line([(x1 * scale, y1 * scale), (x2 * scale, y2 * scale)], fill=colour, width=width)
        first = item.segments[0] if item.segments else None
        return (first[0] * scale, first[1] * scale) if first else None
    if isinstance(item, ColourCells):
        swatch = tuple(int(item.hex[i : i + 2], 16) for i in (1, 3, 5))
        for x, y, w, h in item.cells:
            draw.rectangle([x * scale, y * scale, (x + w) * scale, (y + h) * scale], outline=swatch, width=max(2, width // 2))
        return (item.cells[0][0] * scale, item.cells[0][1] * scale) if item.cells else None
    return None  # a Note: the legend's


def _stored_rule(rule: Mapping[str, Any]) -> RuleResult:
    """A stored rule result to draw; evidence of a kind this code does not know is left out, as
    it always was."""
    known = [item for item in rule.get("evidence", []) if item.get("kind") in KINDS]
    return RuleResult.from_dict({**rule, "evidence": known})


def render(working: np.ndarray, result: AnalysisResult | Mapping[str, Any]) -> bytes:
    """The overlay JPEG for a result whose evidence is in ``working``'s pixels: an
    AnalysisResult, or a stored result's JSON (only its rules are read). Marks only: the photo's
    size and proportions, nothing added below it."""
    if isinstance(result, AnalysisResult):
        rules = list(result.rules)
    else:
        rules = [_stored_rule(rule) for rule in result.get("rules", [])]
    photo = Image.fromarray(working)
    scale = OUTPUT_WIDTH / photo.width
    photo = photo.resize((OUTPUT_WIDTH, round(photo.height * scale)), Image.Resampling.BILINEAR)
    width = max(3, OUTPUT_WIDTH // 320)
    tag_size = OUTPUT_WIDTH // 34
    draw = ImageDraw.Draw(photo)
    for number, rule in enumerate(rules, start=1):
        colour = STATUS_COLOURS.get(rule.status, STATUS_COLOURS["error"])
        if rule.status == "pass" and rule.type not in DRAWN_WHEN_PASSED:
            continue
        anchor = None
        for item in rule.evidence:
            anchor = _draw_evidence(draw, item, colour, scale, width) or anchor
        if anchor is not None:
            _tag(draw, anchor, number, colour, tag_size)

    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)
    return out.getvalue()
