"""UTC in the database, Europe/Stockholm for people."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dialog.core.db import utcnow

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")

__all__ = ["LOCAL_ZONE", "to_local", "to_utc", "utcnow"]


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_ZONE)


def to_utc(local: datetime) -> datetime:
    """A wall-clock time in Stockholm to UTC (an aware datetime passes through)."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=LOCAL_ZONE)
    return local.astimezone(UTC)
