"""The municipality's time zone: times are shown and entered in it, stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from config import LOCAL_ZONE_NAME

LOCAL_ZONE = ZoneInfo(LOCAL_ZONE_NAME)
# The times a dialogue can be scheduled at. Far wider than any plan, and far enough from
# year 1 and 9999 that converting between local time and UTC never overflows.
EARLIEST_LOCAL = datetime(1970, 1, 1)
LATEST_LOCAL = datetime(2999, 12, 31, 23, 59)


def in_schedulable_range(local: datetime) -> bool:
    return EARLIEST_LOCAL <= local.replace(tzinfo=None) <= LATEST_LOCAL


def to_local(moment: datetime) -> datetime:
    """The naive local wall-clock time of a stored instant (for forms and clock rules)."""
    return moment.astimezone(LOCAL_ZONE).replace(tzinfo=None)


def local_today() -> date:
    """Today's date where the municipality is (a UTC date is yesterday's until 01:00)."""
    return datetime.now(LOCAL_ZONE).date()


def from_local(local: datetime) -> datetime | None:
    """A naive local wall-clock time as an aware UTC instant, or None when the time does
    not exist (the spring gap). An ambiguous autumn time takes its first occurrence
    (summer time), which is what `fold=0` means. Times outside the schedulable range are
    refused before the conversion, which near year 1 or 9999 would overflow."""
    if not in_schedulable_range(local):
        return None
    moment = local.replace(tzinfo=LOCAL_ZONE, fold=0).astimezone(UTC)
    if to_local(moment) != local.replace(tzinfo=None):  # the round trip moved it
        return None
    return moment
