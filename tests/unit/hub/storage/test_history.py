"""History buckets (local days and months, DST) and the one query each view sends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.storage.history import Bucket, Group, buckets, history, query
from hub.storage.throughput import Period


def test_day_is_todays_hours_with_dst() -> None:
    bucket, starts = buckets(Period.DAY, *Period.DAY.range(datetime(2026, 11, 24, 12, tzinfo=UTC)))
    assert bucket is Bucket.HOUR and len(starts) == 24 and starts[0] == datetime(2026, 11, 23, 23, tzinfo=UTC)
    # The last Sunday of October has 25 hours, the last of March 23.
    assert len(buckets(Period.DAY, *Period.DAY.range(datetime(2026, 10, 25, 12, tzinfo=UTC)))[1]) == 25
    assert len(buckets(Period.DAY, *Period.DAY.range(datetime(2026, 3, 29, 12, tzinfo=UTC)))[1]) == 23


def test_week_and_month_are_local_days() -> None:
    now = datetime(2026, 10, 28, 12, tzinfo=UTC)
    bucket, starts = buckets(Period.WEEK, *Period.WEEK.range(now))
    assert bucket is Bucket.DAY and len(starts) == 7
    # Local midnights: 22:00 UTC in summer time, 23:00 UTC after the change on the 25th.
    assert starts[0] == datetime(2026, 10, 21, 22, tzinfo=UTC)
    assert starts[3] == datetime(2026, 10, 24, 22, tzinfo=UTC) and starts[4] == datetime(2026, 10, 25, 23, tzinfo=UTC)
    assert len(buckets(Period.MONTH, *Period.MONTH.range(now))[1]) == 30


def test_year_is_local_months_the_first_one_partial() -> None:
    start, end = Period.YEAR.range(datetime(2026, 11, 24, 12, tzinfo=UTC))
    bucket, starts = buckets(Period.YEAR, start, end)
    assert bucket is Bucket.MONTH and starts[0] == start == datetime(2025, 11, 24, 23, tzinfo=UTC)
    assert starts[1] == datetime(2025, 11, 30, 23, tzinfo=UTC)  # 1 December, local
    assert starts[-1] == datetime(2026, 10, 31, 23, tzinfo=UTC)  # 1 November, local
    assert len(starts) == 13


def test_one_query_per_view() -> None:
    start, end = Period.DAY.range(datetime(2026, 11, 24, 12, tzinfo=UTC))
    day = query(Period.DAY, Group.STATION, start, end, {"zwolle", "ommen"})
    assert '"rollups"."throughput_1h"' in day and 'GROUP BY time(1h), "site", "station" fill(none)' in day
    assert "(\"site\" = 'ommen' OR \"site\" = 'zwolle')" in day and "tz(" not in day
    start, end = Period.YEAR.range(datetime(2026, 11, 24, 12, tzinfo=UTC))
    year = query(Period.YEAR, Group.CATEGORY, start, end, None)
    assert '"rollups"."throughput_1d"' in year and year.endswith(
        'GROUP BY time(1d), "stream", "category" fill(none) tz(\'Europe/Amsterdam\')'
    )
    assert '"site" =' not in year


class FakeStore:
    def __init__(self, answer: list[dict[str, Any]]) -> None:
        self.answer = answer
        self.queries: list[str] = []

    def query(self, influxql: str) -> list[dict[str, Any]]:
        self.queries.append(influxql)
        return self.answer


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_year_sums_days_into_months_and_names_keys() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    answer = [
        {
            "tags": {"stream": "plastic", "category": "other"},
            "values": [
                [ms(datetime(2025, 11, 30, 23, tzinfo=UTC)), 1000, 2],  # 1 Dec local
                [ms(datetime(2025, 12, 30, 23, tzinfo=UTC)), 500, 1],  # 31 Dec local: still December
                [ms(datetime(2026, 11, 23, 23, tzinfo=UTC)), 250, 1],  # today
            ],
        },
        {
            "tags": {"stream": "textile", "category": "other"},
            "values": [[ms(datetime(2026, 6, 1, 22, tzinfo=UTC)), 4000, 3]],
        },
    ]
    store = FakeStore(answer)
    found = history(store, Period.YEAR, Group.CATEGORY, None, now)  # type: ignore[arg-type]
    assert len(store.queries) == 1
    assert [s.key for s in found.series] == ["textile/other", "plastic/other"]  # heaviest first; not merged
    plastic = found.series[1]
    assert plastic.grams[1] == 1500 and plastic.items[1] == 3 and plastic.grams[-1] == 250
    assert found.series[0].grams[7] == 4000  # June


def test_station_keys_are_ids_unless_two_sites_share_one() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    hour = ms(datetime(2026, 11, 24, 8, tzinfo=UTC))
    answer = [
        {"tags": {"site": "a", "station": "s-1"}, "values": [[hour, 100, 1]]},
        {"tags": {"site": "b", "station": "s-1"}, "values": [[hour, 200, 1]]},
        {"tags": {"site": "b", "station": "s-2"}, "values": [[hour, 300, 1]]},
    ]
    found = history(FakeStore(answer), Period.DAY, Group.STATION, None, now)  # type: ignore[arg-type]
    assert [s.key for s in found.series] == ["s-2", "b/s-1", "a/s-1"]
    assert found.series[0].grams[9] == 300  # 09:00 local is the tenth hour


def test_no_sites_no_query() -> None:
    store = FakeStore([])
    found = history(store, Period.WEEK, Group.SITE, frozenset(), datetime(2026, 11, 24, tzinfo=UTC))  # type: ignore[arg-type]
    assert found.series == () and store.queries == [] and len(found.buckets) == 7
