"""The one reading of a requested date or time range, for every endpoint that takes one: the volume feed, the
reports, closing a period, throughput. A range it refuses is answered 400 with its message, before anything
reads the store.

InfluxDB 1.x stores nanoseconds since 1970 in 64 bits (up to 2262-04-11), and Python's dates end at year 9999:
a range outside the bounds below either makes InfluxDB refuse the query or makes our own arithmetic (a local
midnight, the day after the last day, a month's end) overflow. The bounds keep every local midnight we compute,
and the query's time literals, well inside both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

FIRST_DAY = date(1970, 1, 2)
LAST_DAY = date(2199, 12, 31)
FIRST_MOMENT = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
END_MOMENT = datetime(LAST_DAY.year, LAST_DAY.month, LAST_DAY.day, tzinfo=UTC) + timedelta(days=1)


class RangeError(ValueError):
    """A date or time range the hub cannot answer as asked: the message says why (HTTP 400)."""


def check_day(day: date, what: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RangeError(f"{what} ({day.isoformat()}) must lie between {FIRST_DAY} and {LAST_DAY}")


def check_range(first: date, last: date, max_days: int) -> None:
    """Local days [first, last], both included: in order, within the bounds, at most ``max_days``."""
    check_day(first, "from")
    check_day(last, "to")
    if first > last:
        raise RangeError(f"from ({first}) is after to ({last})")
    days = (last - first).days + 1
    if days > max_days:
        raise RangeError(f"at most {max_days} days per request (this one covers {days}): ask for the rest in parts")


def to_utc(moment: datetime, what: str) -> datetime:
    """A requested moment in UTC (a naive one is taken as UTC), within the bounds.

    ``0001-01-01T00:00:00+01:00`` lies before year 1 in UTC: Python cannot hold it, so the conversion itself
    is what fails, and that is the caller's range error, not ours."""
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not FIRST_MOMENT <= utc <= END_MOMENT:
        raise RangeError(f"{what} must lie between {FIRST_MOMENT:%Y-%m-%d} and {LAST_DAY} (UTC)")
    return utc


def check_moments(start: datetime, end: datetime, max_range: timedelta) -> None:
    """[start, end) in UTC (both from ``to_utc``): in order and at most ``max_range`` long."""
    if start >= end:
        raise RangeError("'from' must be before 'to'")
    if end - start > max_range:
        raise RangeError(f"range longer than {max_range.days} days; ask for a shorter one")
