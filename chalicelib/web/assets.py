"""Static assets of the pages, read from ``static/`` beside this file."""

from __future__ import annotations

import functools
import re
from pathlib import Path

STATIC = Path(__file__).parent / "static"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(html|js|css|svg|png|json)$")
TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "json": "application/json",
}


TEXT = ("html", "js", "css", "svg", "json")


@functools.lru_cache(maxsize=64)
def asset(name: str) -> tuple[str | bytes, str] | None:
    """The file's content (text for text types, as Chalice wants) and type, or None."""
    match = _NAME.match(name)
    if not match:
        return None
    path = STATIC / name
    if not path.is_file():
        return None
    kind = match.group(1)
    return (path.read_text(encoding="utf-8") if kind in TEXT else path.read_bytes()), TYPES[kind]
