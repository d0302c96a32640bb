"""The sites' calendar: local days and months in Europe/Amsterdam, what ROVA and the municipalities report by.

Stored times are UTC; a local day is 23 or 25 hours long on the days daylight saving time starts or ends, so a
day or month is turned into UTC moments here and nowhere else. The rollups, the feed, the reports and the
dashboard's views all count with these helpers, so they agree on where a day begins.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Europe/Amsterdam")
# InfluxQL's tz() clause with the same zone: buckets of local days, stamped with their local midnight.
INFLUX_TZ = f" tz('{LOCAL.key}')"


def local_midnight(day: date) -> datetime:
    """The moment (UTC) local ``day`` begins."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL).astimezone(UTC)


def local_span(first: date, last: date) -> tuple[datetime, datetime]:
    """The local days [first, last] (inclusive) as the UTC moments [start, end) a query reads."""
    return local_midnight(first), local_midnight(last + timedelta(days=1))


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def local_months(first: date, last: date) -> list[tuple[date, date]]:
    """The local months of [first, last] (days, inclusive), the first and last possibly partial."""
    months = []
    start = first
    while start <= last:
        end = min(month_end(start), last)
        months.append((start, end))
        start = end + timedelta(days=1)
    return months
