"""The one range check of feeds, reports, period closing and throughput: far years are a RangeError (400), never
an OverflowError or a refused InfluxDB query (500/503 before)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hub.feeds.periods import PeriodError, month_range
from hub.feeds.ranges import END_MOMENT, FIRST_MOMENT, RangeError, check_moments, check_range, to_utc
from tests.unit.hub.feeds.conftest import day


def test_range_checks_say_the_limit() -> None:
    check_range(day("2025-01-01"), day("2026-01-01"), 366)  # 366 days, both included
    with pytest.raises(RangeError, match="at most 366 days per request"):
        check_range(day("2025-01-01"), day("2026-01-02"), 366)
    with pytest.raises(RangeError, match="after to"):
        check_range(day("2026-01-02"), day("2026-01-01"), 366)
    for first, last in [(date(1, 1, 1), date(1, 1, 2)), (date(9999, 12, 30), date(9999, 12, 31))]:
        with pytest.raises(RangeError, match="between 1970-01-02 and 2199-12-31"):
            check_range(first, last, 366)


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "1969-12", "2200-01", "9999-12"])
def test_months_outside_the_bounds_are_a_period_error(month: str) -> None:
    with pytest.raises(PeriodError, match=f"month {month}: must lie between 1970-01 and 2199-12"):
        month_range(month)


def test_the_first_and_last_months_are_whole() -> None:
    assert month_range("1970-01") == (date(1970, 1, 1), date(1970, 1, 31))
    assert month_range("2199-12") == (date(2199, 12, 1), date(2199, 12, 31))


def test_moments_are_read_as_utc_within_the_bounds() -> None:
    assert to_utc(datetime(2026, 3, 1, 12), "from") == datetime(2026, 3, 1, 12, tzinfo=UTC)  # naive is UTC
    plus_two = timezone(timedelta(hours=2))
    assert to_utc(datetime(2026, 3, 1, 12, tzinfo=plus_two), "from") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    far = [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),  # before year 1 in UTC: astimezone overflows
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1))),  # after year 9999 in UTC
        datetime(1, 1, 1),
        datetime(9999, 12, 31),
        FIRST_MOMENT - timedelta(seconds=1),
        END_MOMENT + timedelta(seconds=1),
    ]
    for moment in far:
        with pytest.raises(RangeError, match="'to' must lie between 1970-01-02 and 2199-12-31"):
            to_utc(moment, "'to'")


def test_moment_ranges_are_in_order_and_bounded() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    check_moments(start, start + timedelta(days=366), timedelta(days=366))
    with pytest.raises(RangeError, match="before"):
        check_moments(start, start, timedelta(days=366))
    with pytest.raises(RangeError, match="longer than 366 days"):
        check_moments(start, start + timedelta(days=366, seconds=1), timedelta(days=366))
