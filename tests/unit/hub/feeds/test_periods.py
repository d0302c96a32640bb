"""Closed periods in their SQLite file: freezing a month, refusing to close twice or too early, reading back."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.feeds.periods import AlreadyClosedError, PeriodError, PeriodStore, close_month, month_range
from tests.unit.hub.feeds.conftest import FakeInflux, day, utc


def test_month_range_and_bad_months() -> None:
    assert month_range("2024-02") == (day("2024-02-01"), day("2024-02-29"))
    assert month_range("2026-12") == (day("2026-12-01"), day("2026-12-31"))
    for bad in ("2026-13", "2026-1", "26-11", "2026-11-01", "november"):
        with pytest.raises(PeriodError, match="YYYY-MM"):
            month_range(bad)


def test_close_freezes_the_months_live_figures(tmp_path: Path) -> None:
    store = FakeInflux(
        {
            (day("2026-09-30"), "dalfsen", "textile", "creme"): (999, 9),  # the month before: not frozen
            (day("2026-10-01"), "dalfsen", "textile", "creme"): (1000, 1),
            (day("2026-10-31"), "ommen", "plastic", "pp"): (250, 2),
            (day("2026-11-01"), "ommen", "plastic", "pp"): (5, 1),  # the month after
        }
    )
    periods = PeriodStore(tmp_path / "var" / "periods.sqlite")
    closed = close_month(store, periods, "2026-10", "ada", today=day("2026-11-01"))  # type: ignore[arg-type]
    assert (closed.month, closed.closed_by, closed.grams, closed.items, closed.kg) == ("2026-10", "ada", 1250, 3, 1.25)
    assert "time >= '2026-09-30T22:00:00Z' AND time < '2026-10-31T23:00:00Z'" in store.queries[0]  # local month

    store.days[(day("2026-10-31"), "ommen", "plastic", "pp")] = (750, 3)  # a late event: the copy stays
    assert periods.frozen(day("2026-10-01"), day("2026-10-31"), None) == {
        (day("2026-10-01"), "dalfsen", "textile", "creme"): (1000, 1),
        (day("2026-10-31"), "ommen", "plastic", "pp"): (250, 2),
    }
    assert periods.frozen(day("2026-10-01"), day("2026-10-31"), {"ommen"}) == {
        (day("2026-10-31"), "ommen", "plastic", "pp"): (250, 2),
    }
    assert periods.frozen(day("2026-10-01"), day("2026-10-31"), frozenset()) == {}
    assert periods.closed_months(day("2026-09-15"), day("2026-12-01")) == {"2026-10"}
    assert periods.closed_months(day("2026-11-01"), day("2026-12-01")) == frozenset()
    assert [(p.month, p.grams, p.items) for p in PeriodStore(periods.path).closed()] == [("2026-10", 1250, 3)]

    with pytest.raises(AlreadyClosedError, match="closed already"):
        close_month(store, periods, "2026-10", "ada", today=day("2026-12-01"))  # type: ignore[arg-type]
    with pytest.raises(AlreadyClosedError):
        periods.freeze("2026-10", {}, "bob")  # two admins at once: the second one loses
    assert [(p.closed_by, p.grams) for p in periods.closed()] == [("ada", 1250)]


def test_a_month_that_has_not_ended_cannot_be_closed(tmp_path: Path) -> None:
    periods = PeriodStore(tmp_path / "periods.sqlite")
    with pytest.raises(PeriodError, match="has not ended yet: it can be closed from 2026-12-01"):
        close_month(FakeInflux(), periods, "2026-11", "ada", today=day("2026-11-30"))  # type: ignore[arg-type]
    assert periods.closed() == []


def test_an_empty_month_closes_with_zeros(tmp_path: Path) -> None:
    periods = PeriodStore(tmp_path / "periods.sqlite")
    closed = periods.freeze("2026-01", {}, "ada", now=utc("2026-02-03T10:00:00.123456"))
    assert (closed.grams, closed.items, closed.closed_at) == (0, 0, utc("2026-02-03T10:00:00"))
    assert [(p.month, p.grams, p.closed_at) for p in periods.closed()] == [("2026-01", 0, closed.closed_at)]
