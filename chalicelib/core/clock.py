"""Time as the records hold it: ISO 8601 instants in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    """The current instant as the records store it (UTC, ISO 8601, microseconds)."""
    return now().isoformat()


def iso_week(day: str) -> str:
    """The ISO week of a date, as 2026-W47: campaigns are weekly, and trends count by week."""
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year:04d}-W{week:02d}"


def local_instant(day: date, zone: str, end_of_day: bool) -> str:
    """The first (or last) moment of a day in a store's timezone, as a UTC instant."""
    moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC).isoformat()
