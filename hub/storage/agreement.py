"""Vision agreement: how often the sorter took the suggestion, per model version and suggested label, what the
suggestion was corrected to, and how many items had none (definitions: docs/dashboard.md).

One query on the raw events, grouped by the ``model_version``, ``suggested`` and ``category`` tags
(hub/storage/points.py): ``sum("items")`` counts a sorted item +1 and its undo -1 (an undo carries the undone
event's suggestion and category), so an item that was taken back is not counted. An item is *accepted* when
the chosen category is the suggested label: exactly how the station sets ``accepted``
(edge/stations/sorting_events.py), and it needs no field, which InfluxQL could not group by.

Blind checks (docs/fleet.md): an item whose suggestion was computed but not shown carries the tag ``shown`` =
``false``. Those items are counted apart: the *shown acceptance* is accepted / shown suggestions, the *blind
accuracy* is (chosen == suggested) / blind items, the model's accuracy free of the sorter's bias to take what is
lit. A point without the ``shown`` tag (every shown suggestion, and every point written before blind checks)
counts as shown.

Points written before the suggestion tags existed have no such tags and count as items with no suggestion.
The raw events of a year are tens of millions of points, too slow to scan for a page: periods go up to a month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.storage.influx_v1 import InfluxV1
from hub.storage.points import MEASUREMENT
from hub.storage.rollups import rfc3339
from hub.storage.throughput import Period, site_filter

PERIODS = (Period.DAY, Period.WEEK, Period.MONTH)


@dataclass(frozen=True, slots=True)
class Count:
    """Items with a suggestion, and those where the sorter chose the suggested label (for blind items: the hidden
    suggestion was right)."""

    items: int
    accepted: int

    @property
    def accepted_share(self) -> float:
        return round(self.accepted / self.items, 4) if self.items > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ModelAgreement:
    model_version: str
    total: Count  # shown suggestions
    categories: tuple[tuple[str, Count], ...]  # suggested label -> shown count, most suggested first
    confusion: tuple[tuple[str, str, int], ...]  # (suggested, chosen, items) of shown ones, most items first
    blind: Count = Count(0, 0)  # blind checks: items, and those where the hidden suggestion was chosen
    blind_categories: tuple[tuple[str, Count], ...] = ()  # suggested label -> blind count, most first


@dataclass(frozen=True, slots=True)
class Agreement:
    period: Period
    start: datetime
    end: datetime
    total_items: int
    no_suggestion: int
    models: tuple[ModelAgreement, ...]  # most items first

    @property
    def no_suggestion_share(self) -> float:
        return round(self.no_suggestion / self.total_items, 4) if self.total_items > 0 else 0.0


def query(start: datetime, end: datetime, sites: Collection[str] | None) -> str:
    return (
        f'SELECT sum("items") AS n FROM "{MEASUREMENT}" '  # noqa: S608
        f"WHERE time >= '{rfc3339(start)}' AND time < '{rfc3339(end)}'{site_filter(sites)} "
        'GROUP BY "model_version", "suggested", "category", "shown"'
    )


def agreement(store: InfluxV1, period: Period, sites: Collection[str] | None, now: datetime | None = None) -> Agreement:
    """``sites``: None for every site, an empty collection for none. ``period`` must be one of PERIODS."""
    if period not in PERIODS:
        raise ValueError(f"agreement is counted over at most a month, not a {period.value}")
    start, end = period.range(now or datetime.now(UTC))
    rows: list[Row] = []
    blind: list[Row] = []
    if sites is None or sites:
        for series in store.query(query(start, end, sites)):
            tags = series.get("tags", {})
            n = int(series["values"][0][1] or 0)
            row = (tags.get("model_version", ""), tags.get("suggested", ""), tags.get("category", ""), n)
            (blind if tags.get("shown") == "false" else rows).append(row)
    return summarise(period, start, end, rows, blind)


Row = tuple[str, str, str, int]
"""(model_version, suggested, chosen category, items); empty tags mean no suggestion."""


def _per_label(pairs: dict[tuple[str, str], int]) -> tuple[tuple[str, Count], ...]:
    labels: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (suggested, chosen), items in pairs.items():
        labels[suggested][0] += items
        labels[suggested][1] += items if suggested == chosen else 0
    return tuple(
        sorted(((label, Count(*c)) for label, c in labels.items() if c[0] != 0), key=lambda x: (-x[1].items, x[0]))
    )


def _total(categories: tuple[tuple[str, Count], ...]) -> Count:
    return Count(sum(c.items for _, c in categories), sum(c.accepted for _, c in categories))


def summarise(
    period: Period, start: datetime, end: datetime, rows: Sequence[Row], blind: Sequence[Row] = ()
) -> Agreement:
    """From the rows of shown suggestions and items without one (``rows``) and of blind checks (``blind``)."""
    total = no_suggestion = 0
    per_pair: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    blind_pairs: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for version, suggested, chosen, items in rows:
        total += items
        if not version or not suggested:
            no_suggestion += items
        else:
            per_pair[version][(suggested, chosen)] += items
    for version, suggested, chosen, items in blind:
        total += items
        blind_pairs[version][(suggested, chosen)] += items
    models = []
    for version in per_pair.keys() | blind_pairs.keys():
        pairs = per_pair.get(version, {})
        categories = _per_label(pairs)
        confusion = sorted(((s, c, n) for (s, c), n in pairs.items() if n != 0), key=lambda x: (-x[2], x[0], x[1]))
        blind_categories = _per_label(blind_pairs.get(version, {}))
        models.append(
            ModelAgreement(
                version, _total(categories), categories, tuple(confusion), _total(blind_categories), blind_categories
            )
        )
    models.sort(key=lambda m: (-(m.total.items + m.blind.items), m.model_version))
    return Agreement(period, start, end, total, no_suggestion, tuple(models))
