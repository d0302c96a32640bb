"""The sites' calendar: where a local day begins in UTC, across daylight saving time, and the ends of months."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hub.local_calendar import INFLUX_TZ, LOCAL, local_midnight, local_months, local_span, month_end


def test_local_midnight_is_utc_and_follows_daylight_saving_time() -> None:
    assert local_midnight(date(2026, 1, 15)) == datetime(2026, 1, 14, 23, tzinfo=UTC)  # CET, UTC+1
    assert local_midnight(date(2026, 7, 15)) == datetime(2026, 7, 14, 22, tzinfo=UTC)  # CEST, UTC+2
    # The day DST ends (25 October 2026) is 25 hours long.
    assert local_midnight(date(2026, 10, 26)) - local_midnight(date(2026, 10, 25)) == timedelta(hours=25)
    assert local_midnight(date(2026, 3, 30)).astimezone(LOCAL).hour == 0
    # Through the day DST starts (29 March 2026, 23 hours): the end is the next local midnight.
    assert local_span(date(2026, 3, 28), date(2026, 3, 29)) == (
        datetime(2026, 3, 27, 23, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
    )


def test_month_end_over_december_and_leap_years() -> None:
    assert month_end(date(2026, 12, 5)) == date(2026, 12, 31)
    assert month_end(date(2028, 2, 1)) == date(2028, 2, 29)
    assert month_end(date(2027, 2, 28)) == date(2027, 2, 28)


def test_local_months_of_one_day_and_the_influx_clause_names_the_same_zone() -> None:
    assert local_months(date(2026, 11, 3), date(2026, 11, 3)) == [(date(2026, 11, 3), date(2026, 11, 3))]
    assert INFLUX_TZ == " tz('Europe/Amsterdam')"
