"""The feed's arithmetic: local days from the day rollup (DST days included), ISO weeks and months, grouping,
frozen figures with adjustments, and keyed paging."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from hub.feeds.volumes import (
    FeedError,
    GroupField,
    Interval,
    decode_cursor,
    encode_cursor,
    live_days,
    months,
    page,
    parse_group_by,
    period_of,
    rows,
)
from tests.unit.hub.feeds.conftest import FakeInflux, day

ALL = tuple(GroupField)


def municipality(site: str) -> str | None:
    return {"dalfsen": "Dalfsen", "ommen": "Ommen"}.get(site)


def test_group_by_is_canonical_and_category_brings_its_stream() -> None:
    assert parse_group_by("stream, site,stream") == (GroupField.SITE, GroupField.STREAM)
    assert parse_group_by("category") == (GroupField.STREAM, GroupField.CATEGORY)
    assert parse_group_by("") == ()
    with pytest.raises(FeedError, match="unknown field 'station'"):
        parse_group_by("site,station")


def test_iso_weeks_and_months_cut_to_the_range() -> None:
    first, last = day("2026-12-30"), day("2027-01-05")  # Wednesday to Tuesday
    assert period_of(day("2026-12-31"), Interval.WEEK, first, last) == (first, day("2027-01-03"))  # to Sunday
    assert period_of(day("2027-01-04"), Interval.WEEK, first, last) == (day("2027-01-04"), last)  # Monday on
    assert period_of(day("2026-12-31"), Interval.MONTH, first, last) == (first, day("2026-12-31"))
    assert period_of(day("2024-02-10"), Interval.MONTH, day("2024-01-01"), day("2024-12-31")) == (
        day("2024-02-01"),
        day("2024-02-29"),
    )
    assert months(day("2026-11-30"), day("2027-02-01")) == ["2026-11", "2026-12", "2027-01", "2027-02"]


def test_dst_days_come_back_as_their_own_local_day() -> None:
    """29 March 2026 has 23 hours and 25 October 2026 has 25: each bucket is stamped with its local midnight
    (22:00 or 23:00 UTC the evening before), and must land on its own date, not the one next to it."""
    figures = {
        (day("2026-03-28"), "dalfsen", "textile", "creme"): (1000, 1),
        (day("2026-03-29"), "dalfsen", "textile", "creme"): (2000, 2),
        (day("2026-03-30"), "dalfsen", "textile", "creme"): (4000, 4),
        (day("2026-10-25"), "dalfsen", "textile", "creme"): (8000, 8),
        (day("2026-10-26"), "dalfsen", "textile", "creme"): (16000, 16),
    }
    store = FakeInflux(figures)
    assert live_days(store, day("2026-03-01"), day("2026-10-31"), None) == figures  # type: ignore[arg-type]
    assert "tz('Europe/Amsterdam')" in store.queries[0] and "throughput_1d" in store.queries[0]
    assert "time >= '2026-02-28T23:00:00Z' AND time < '2026-10-31T23:00:00Z'" in store.queries[0]
    # The week of the spring DST day (Mon 23 - Sun 29 March) holds that day; the next week starts on the 30th.
    weekly = rows(figures, {}, (), Interval.WEEK, (), day("2026-03-01"), day("2026-10-31"), municipality)
    assert [(r.period_start, r.period_end, r.grams) for r in weekly] == [
        (day("2026-03-23"), day("2026-03-29"), 3000),
        (day("2026-03-30"), day("2026-04-05"), 4000),
        (day("2026-10-19"), day("2026-10-25"), 8000),
        (day("2026-10-26"), day("2026-10-31"), 16000),  # cut to `to`
    ]
    monthly = rows(figures, {}, (), Interval.MONTH, (), day("2026-03-01"), day("2026-10-31"), municipality)
    assert [(r.period_start, r.grams, r.items) for r in monthly] == [
        (day("2026-03-01"), 7000, 7),
        (day("2026-10-01"), 24000, 24),
    ]


def test_no_sites_no_query() -> None:
    store = FakeInflux({(day("2026-11-01"), "ommen", "textile", "creme"): (1, 1)})
    assert live_days(store, day("2026-11-01"), day("2026-11-30"), frozenset()) == {}  # type: ignore[arg-type]
    assert store.queries == []


def test_grouping_sums_grams_exactly_and_names_municipalities() -> None:
    live = {
        (day("2026-11-02"), "dalfsen", "textile", "creme"): (1234, 2),
        (day("2026-11-03"), "dalfsen", "textile", "other"): (1, 1),
        (day("2026-11-03"), "ommen", "textile", "creme"): (5000, 5),
        (day("2026-11-04"), "nowhere", "plastic", "other"): (7, 1),  # a site in no municipality
        (day("2026-11-05"), "ommen", "plastic", "pp"): (0, 0),  # an item and its undo
    }
    first, last = day("2026-11-01"), day("2026-11-30")
    by_municipality = rows(live, {}, (), Interval.MONTH, (GroupField.MUNICIPALITY,), first, last, municipality)
    assert [(r.groups, r.grams, r.items, r.status) for r in by_municipality] == [
        ((None,), 7, 1, "open"),  # sorted as "": first
        (("Dalfsen",), 1235, 3, "open"),
        (("Ommen",), 5000, 5, "open"),
    ]
    assert by_municipality[1].kg == 1.235
    by_category = rows(live, {}, (), Interval.MONTH, parse_group_by("category"), first, last, municipality)
    assert [(r.groups, r.grams) for r in by_category] == [
        (("plastic", "other"), 7),
        (("textile", "creme"), 6234),
        (("textile", "other"), 1),
    ]


def test_closed_month_shows_frozen_figures_and_the_late_difference() -> None:
    frozen = {(day("2026-10-31"), "dalfsen", "textile", "creme"): (1000, 1)}
    live = {
        (day("2026-10-31"), "dalfsen", "textile", "creme"): (1500, 2),  # an item arrived after closing
        (day("2026-10-30"), "dalfsen", "textile", "other"): (300, 1),  # a late category that was not there
        (day("2026-11-01"), "dalfsen", "textile", "creme"): (700, 1),  # November is open
    }
    first, last = day("2026-10-26"), day("2026-11-08")
    group = (GroupField.SITE, GroupField.STREAM)
    monthly = rows(live, frozen, {"2026-10"}, Interval.MONTH, group, first, last, municipality)
    assert [(r.period_start, r.grams, r.items, r.status, r.adjustment_grams, r.adjustment_items) for r in monthly] == [
        (day("2026-10-26"), 1000, 1, "closed", 800, 2),
        (day("2026-11-01"), 700, 1, "open", 0, 0),
    ]
    # A week across the closing line is open: part of it can still change.
    weekly = rows(live, frozen, {"2026-10"}, Interval.WEEK, group, first, last, municipality)
    assert [(r.period_start, r.period_end, r.grams, r.status, r.adjustment_grams) for r in weekly] == [
        (day("2026-10-26"), day("2026-11-01"), 1700, "open", 800),
    ]


def test_cursor_round_trip_and_bad_cursors() -> None:
    key = ("2026-11-01", "Dalfsen", "textile")
    assert decode_cursor(encode_cursor(key), 3) == key
    assert "=" not in encode_cursor(key)
    for bad in ("", "!!!", encode_cursor(("a", "b")), "bm90IGpzb24", encode_cursor(["x", "y", "z"])[:-3] + "$$$"):
        with pytest.raises(FeedError, match="cursor"):
            decode_cursor(bad, 3)
    with pytest.raises(FeedError, match="cursor"):
        decode_cursor("W1sxXSwyLDNd", 3)  # [[1],2,3]: a list, but not of strings
    with pytest.raises(FeedError, match="cursor"):
        decode_cursor("A" * 5000, 3)


def test_paging_returns_every_row_once() -> None:
    rng = random.Random(7)
    live = {
        (day("2026-01-01") + timedelta(days=rng.randrange(365)), rng.choice(["dalfsen", "ommen"]), "textile", c): (
            rng.randrange(1, 5000),
            1,
        )
        for c in ("creme", "other", "wool", "shoes")
        for _ in range(60)
    }
    found = rows(live, {}, (), Interval.DAY, ALL, day("2026-01-01"), day("2026-12-31"), municipality)
    seen, after, pages = [], None, 0
    while True:
        chosen, cursor = page(found, after, 37)
        seen.extend(chosen)
        pages += 1
        if cursor is None:
            break
        after = decode_cursor(cursor, 1 + len(ALL))
    assert seen == found and len({r.key for r in seen}) == len(found) and pages == -(-len(found) // 37)
    assert sum(r.grams for r in seen) == sum(g for g, _n in live.values())
