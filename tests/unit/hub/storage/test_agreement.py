"""Agreement counts from (model_version, suggested, chosen, items) rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.storage.agreement import agreement, summarise
from hub.storage.throughput import Period

START, END = datetime(2026, 11, 23, 23, tzinfo=UTC), datetime(2026, 11, 24, 23, tzinfo=UTC)


def test_accepted_means_the_chosen_category_is_the_suggested_label() -> None:
    rows = [
        ("m2", "pp", "pp", 6),  # accepted
        ("m2", "pp", "pet", 2),  # corrected to pet
        ("m2", "pet", "pet", 1),
        ("m1", "hdpe", "ldpe", 1),
        ("", "", "pp", 3),  # no suggestion
        ("", "", "pet", 1),
    ]
    found = summarise(Period.DAY, START, END, rows)
    assert (found.total_items, found.no_suggestion, found.no_suggestion_share) == (14, 4, round(4 / 14, 4))
    m2, m1 = found.models
    assert (m2.model_version, m2.total.items, m2.total.accepted, m2.total.accepted_share) == ("m2", 9, 7, 0.7778)
    assert [(label, c.items, c.accepted, c.accepted_share) for label, c in m2.categories] == [
        ("pp", 8, 6, 0.75),
        ("pet", 1, 1, 1.0),
    ]
    assert m2.confusion == (("pp", "pp", 6), ("pp", "pet", 2), ("pet", "pet", 1))
    assert (m1.total.items, m1.total.accepted, m1.confusion) == (1, 0, (("hdpe", "ldpe", 1),))


def test_undone_items_cancel_out() -> None:
    # sum("items"): a sorted item +1 and its undo -1 under the same tags.
    found = summarise(Period.DAY, START, END, [("m", "pp", "pet", 0), ("m", "pp", "pp", 1)])
    [model] = found.models
    assert model.confusion == (("pp", "pp", 1),) and model.total.accepted_share == 1.0


def test_nothing_is_zero_not_a_division_error() -> None:
    found = summarise(Period.DAY, START, END, [])
    assert (found.total_items, found.no_suggestion_share, found.models) == (0, 0.0, ())


def test_a_year_is_refused() -> None:
    with pytest.raises(ValueError, match="at most a month"):
        agreement(None, Period.YEAR, None)  # type: ignore[arg-type]


def test_blind_checks_are_counted_apart_as_blind_accuracy() -> None:
    shown = [("m2", "pp", "pp", 9), ("m2", "pp", "pet", 1), ("", "", "pet", 2)]
    blind = [("m2", "pp", "pp", 1), ("m2", "pp", "pet", 1), ("m2", "ps", "ps", 1), ("m3", "pet", "pp", 1)]
    found = summarise(Period.DAY, START, END, shown, blind)
    assert (found.total_items, found.no_suggestion) == (16, 2)  # a blind item had a suggestion
    m2, m3 = found.models
    assert (m2.total.items, m2.total.accepted, m2.total.accepted_share) == (10, 9, 0.9)  # shown acceptance
    assert (m2.blind.items, m2.blind.accepted, m2.blind.accepted_share) == (3, 2, 0.6667)  # blind accuracy
    assert [(label, c.items, c.accepted) for label, c in m2.blind_categories] == [("pp", 2, 1), ("ps", 1, 1)]
    assert m2.confusion == (("pp", "pp", 9), ("pp", "pet", 1))  # of shown suggestions only
    # A version seen only on blind items is listed, with nothing shown.
    assert (m3.model_version, m3.total.items, m3.blind.items, m3.blind.accepted_share) == ("m3", 0, 1, 0.0)
