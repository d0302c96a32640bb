"""Closed periods: months whose feed figures an admin has frozen, in one SQLite file (``feeds.periods_file``).

Closing a month copies its live figures (grams and items per local day, site, stream and category, from the
day rollup) into the file. From then on the feed answers that month from the copy, so a report handed to a
municipality stays true, and shows whatever arrives later (a station that was offline for days) as a
separate adjustment: live minus frozen. An open month says so (``status: open``): its figures can still change.

Every call opens its own connection, as in hub/auth/store.py: the hub's request threads and the
``sortcentre periods`` command may use the file at the same time, and WAL mode lets them.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from hub import sqlite_files
from hub.feeds.ranges import FIRST_DAY, LAST_DAY
from hub.feeds.volumes import DayKey, Totals, live_days
from hub.local_calendar import LOCAL, month_end

if TYPE_CHECKING:
    from config.feeds import FeedSettings
    from hub.storage.influx_v1 import InfluxV1

logger = logging.getLogger(__name__)

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)

SCHEMA = """
CREATE TABLE IF NOT EXISTS closed_months (
    month TEXT PRIMARY KEY,  -- YYYY-MM, a local (Europe/Amsterdam) calendar month
    closed_at TEXT NOT NULL,  -- ISO 8601 UTC
    closed_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS frozen_days (
    month TEXT NOT NULL REFERENCES closed_months (month) ON DELETE CASCADE,
    day TEXT NOT NULL,  -- YYYY-MM-DD, a local day of that month
    site TEXT NOT NULL,
    stream TEXT NOT NULL,
    category TEXT NOT NULL,
    grams INTEGER NOT NULL,
    items INTEGER NOT NULL,
    PRIMARY KEY (day, site, stream, category)
);
"""


class PeriodError(ValueError):
    """A period command that cannot be done: a bad month, or one that has not ended."""


class AlreadyClosedError(PeriodError):
    """The month is closed already: its frozen figures stay as they are."""


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    month: str
    closed_at: datetime
    closed_by: str
    grams: int  # the frozen totals over every site
    items: int

    @property
    def kg(self) -> float:
        return round(self.grams / 1000, 3)


def month_range(month: str) -> tuple[date, date]:
    """ "2026-11" -> its first and last day."""
    if not _MONTH.fullmatch(month):
        raise PeriodError(f"month {month!r}: write it as YYYY-MM, e.g. 2026-11")
    year = int(month[:4])
    # The bounds of hub.feeds.ranges, checked on the year before any date is made: 0000 is no year to Python,
    # and the end of 9999-12 would be a day of year 10000.
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise PeriodError(f"month {month}: must lie between {FIRST_DAY:%Y-%m} and {LAST_DAY:%Y-%m}")
    first = date(year, int(month[5:]), 1)
    last = month_end(first)
    return first, last


class PeriodStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        sqlite_files.create(path, SCHEMA)

    @classmethod
    def from_settings(cls, settings: FeedSettings) -> PeriodStore:
        return cls(settings.periods_file)

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_files.transaction(self.path)

    def freeze(
        self, month: str, figures: Mapping[DayKey, Totals], closed_by: str, now: datetime | None = None
    ) -> ClosedPeriod:
        """Close ``month`` with these figures (only the days of that month are kept)."""
        first, last = month_range(month)
        closed_at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        kept = [(key, totals) for key, totals in figures.items() if first <= key[0] <= last]
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO closed_months (month, closed_at, closed_by) VALUES (?, ?, ?)",
                    (month, closed_at.isoformat(), closed_by),
                )
                db.executemany(
                    "INSERT INTO frozen_days (month, day, site, stream, category, grams, items) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(month, day.isoformat(), *where, g, n) for (day, *where), (g, n) in kept],
                )
        except sqlite3.IntegrityError:
            raise AlreadyClosedError(f"{month} is closed already") from None
        grams = sum(g for _key, (g, _n) in kept)
        items = sum(n for _key, (_g, n) in kept)
        logger.info("period %s closed by %s: %d g, %d items frozen", month, closed_by, grams, items)
        return ClosedPeriod(month, closed_at, closed_by, grams, items)

    def closed(self) -> list[ClosedPeriod]:
        """Every closed month, oldest first, with its frozen totals."""
        with self._db() as db:
            found = db.execute(
                "SELECT m.month, m.closed_at, m.closed_by, coalesce(sum(f.grams), 0), coalesce(sum(f.items), 0) "
                "FROM closed_months AS m LEFT JOIN frozen_days AS f USING (month) GROUP BY m.month ORDER BY m.month"
            ).fetchall()
        return [ClosedPeriod(m, datetime.fromisoformat(at), by, int(g), int(n)) for m, at, by, g, n in found]

    def closed_months(self, first: date, last: date) -> frozenset[str]:
        """The closed months that [first, last] touches."""
        with self._db() as db:
            found = db.execute(
                "SELECT month FROM closed_months WHERE month BETWEEN ? AND ?",
                (first.isoformat()[:7], last.isoformat()[:7]),
            ).fetchall()
        return frozenset(month for (month,) in found)

    def frozen(self, first: date, last: date, sites: Collection[str] | None) -> dict[DayKey, Totals]:
        """The frozen figures of the days in [first, last] (of closed months), for ``sites`` (None: all)."""
        if sites is not None and not sites:
            return {}
        with self._db() as db:
            found = db.execute(
                "SELECT day, site, stream, category, grams, items FROM frozen_days WHERE day BETWEEN ? AND ?",
                (first.isoformat(), last.isoformat()),
            ).fetchall()
        return {
            (date.fromisoformat(day), site, stream, category): (int(g), int(n))
            for day, site, stream, category, g, n in found
            if sites is None or site in sites
        }


def close_month(
    store: InfluxV1, periods: PeriodStore, month: str, closed_by: str, today: date | None = None
) -> ClosedPeriod:
    """Freeze a month that has ended with its live figures, read from the day rollup for every site.

    A month still running (or in the future) cannot be closed: its figures are not complete yet."""
    first, last = month_range(month)
    today = today or datetime.now(LOCAL).date()
    if last >= today:
        raise PeriodError(f"{month} has not ended yet: it can be closed from {last + timedelta(days=1)}")
    if periods.closed_months(first, last):
        raise AlreadyClosedError(f"{month} is closed already")
    return periods.freeze(month, live_days(store, first, last, None), closed_by)
