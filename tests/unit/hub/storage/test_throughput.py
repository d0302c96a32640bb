import itertools
from datetime import UTC, datetime, timedelta

import pytest

from hub.local_calendar import LOCAL
from hub.storage.points import MEASUREMENT
from hub.storage.rollups import DAYS
from hub.storage.throughput import Period, plan


def covers_exactly(pieces: list[tuple[str, datetime, datetime]], start: datetime, end: datetime) -> None:
    assert pieces[0][1] == start and pieces[-1][2] == end
    for (_m, _s, a_end), (_n, b_start, _e) in itertools.pairwise(pieces):
        assert a_end == b_start  # no gap, no overlap


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 1, 1, 0, 0, 7, tzinfo=UTC), datetime(2026, 12, 31, 13, 5, 2, tzinfo=UTC)),
        (datetime(2026, 11, 27, 8, 0, tzinfo=UTC), datetime(2026, 11, 27, 9, 30, tzinfo=UTC)),
        (datetime(2026, 11, 27, 8, 0, 1, tzinfo=UTC), datetime(2026, 11, 27, 8, 0, 59, tzinfo=UTC)),
        (datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 31, 12, tzinfo=UTC)),  # over the DST change
    ],
)
def test_pieces_cover_the_range_exactly(start: datetime, end: datetime) -> None:
    pieces = plan(start, end)
    covers_exactly(pieces, start, end)


def test_a_year_uses_days_and_few_queries() -> None:
    start, end = datetime(2026, 1, 1, 0, 0, 7, tzinfo=UTC), datetime(2026, 12, 31, 13, 5, 2, tzinfo=UTC)
    pieces = plan(start, end)
    assert len(pieces) <= 7
    assert any(m == DAYS.qualified and e - s > timedelta(days=300) for m, s, e in pieces)
    assert [m for m, _s, _e in pieces].count(f'"{MEASUREMENT}"') == 2  # only the seconds at either edge


def test_local_days_follow_dutch_time() -> None:
    start, end = DAYS.bucket(datetime(2026, 3, 29, 12, tzinfo=UTC))  # the day summer time starts
    assert start.astimezone(LOCAL).hour == 0 and end.astimezone(LOCAL).hour == 0
    assert end - start == timedelta(hours=23)


def test_rebuild_walks_whole_buckets_over_dst_days() -> None:
    from hub.storage.rollups import rebuild

    class Recorder:
        def __init__(self) -> None:
            self.queries: list[str] = []

        def execute(self, influxql: str) -> None:
            self.queries.append(influxql)

    store = Recorder()
    # October 25th 2026 has 25 hours in Amsterdam; March 29th 23.
    count = rebuild(store, datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 28, tzinfo=UTC))  # type: ignore[arg-type]
    assert count == len(store.queries) < 3 * 220
    days = [q for q in store.queries if 'INTO "rollups"."throughput_1d"' in q]
    assert 210 <= len(days) <= 218


def test_periods_are_whole_local_days_answered_by_one_day_query() -> None:
    now = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # 00:30 on March 30th in Amsterdam, after the DST change
    start, end = Period.WEEK.range(now)
    assert start.astimezone(LOCAL).isoformat() == "2026-03-24T00:00:00+01:00"
    assert end.astimezone(LOCAL).isoformat() == "2026-03-31T00:00:00+02:00"
    assert end - start == timedelta(days=7, hours=-1)  # one day had 23 hours
    assert plan(start, end) == [(DAYS.qualified, start, end)]
    day_start, day_end = Period.DAY.range(now)
    assert day_start.astimezone(LOCAL).day == 30 and day_end - day_start == timedelta(hours=24)
    year_start, year_end = Period.YEAR.range(now)
    assert plan(year_start, year_end) == [(DAYS.qualified, year_start, year_end)]
