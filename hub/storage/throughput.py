"""Throughput read back from InfluxDB with InfluxQL: kg and items per station and category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hub.storage.influx_v1 import InfluxV1
from hub.storage.points import MEASUREMENT
from sortcentre.wire.topics import check_slug


@dataclass(frozen=True, slots=True)
class ThroughputRow:
    site: str
    station: str
    stream: str
    category: str
    kg: float
    items: int


def _rfc3339(moment: datetime) -> str:
    """InfluxQL time literal; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def throughput(store: InfluxV1, start: datetime, end: datetime, site: str | None = None) -> list[ThroughputRow]:
    """Sums over [start, end); undo points carry negative weight and items, so these are corrected totals."""
    where = f"time >= '{_rfc3339(start)}' AND time < '{_rfc3339(end)}'"
    if site is not None:
        where += f" AND \"site\" = '{check_slug(site, 'site')}'"  # a slug cannot break out of the quotes
    query = (
        f'SELECT sum("weight_g") AS g, sum("items") AS items FROM "{MEASUREMENT}" WHERE {where} '  # noqa: S608
        'GROUP BY "site", "station", "stream", "category"'
    )
    rows = []
    for series in store.query(query):
        tags = series.get("tags", {})
        _time, g, items = series["values"][0]
        rows.append(
            ThroughputRow(
                site=tags.get("site", ""),
                station=tags.get("station", ""),
                stream=tags.get("stream", ""),
                category=tags.get("category", ""),
                kg=round((g or 0) / 1000, 3),
                items=int(items or 0),
            )
        )
    return sorted(rows, key=lambda r: (r.site, r.station, r.stream, r.category))
