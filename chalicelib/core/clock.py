"""Time as the records hold it: ISO 8601 instants in UTC."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def now_iso() -> str:
    """The current instant as the records store it (UTC, ISO 8601, microseconds)."""
    return now().isoformat()
