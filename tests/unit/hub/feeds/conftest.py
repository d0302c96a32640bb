"""A stand-in for InfluxDB that answers the feed's day-rollup query from a dict of (day, site, stream, category)
figures the way InfluxDB 1.x does with ``tz('Europe/Amsterdam')``: one series per tag set, each bucket stamped
with its local midnight, in epoch milliseconds."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from hub.feeds.volumes import DayKey, Totals
from hub.local_calendar import local_midnight
from hub.storage.influx_v1 import InfluxError


class FakeInflux:
    def __init__(self, days: dict[DayKey, Totals] | None = None) -> None:
        self.days: dict[DayKey, Totals] = dict(days or {})
        self.queries: list[str] = []
        self.down = False
        self.refused = False  # up, and answering the query with an error (as InfluxDB does a bad one)

    def query(self, influxql: str) -> list[dict[str, Any]]:
        self.queries.append(influxql)
        if self.down:
            raise InfluxError("query failed: connection refused")
        if self.refused:
            raise InfluxError("query error: error parsing query: found EOF", 200, refused=True)
        start, end = (datetime.fromisoformat(t) for t in re.findall(r"time [<>]=? '([^']+)'", influxql))
        sites = set(re.findall(r"\"site\" = '([^']+)'", influxql)) or None
        series: dict[tuple[str, str, str], list[list[int]]] = defaultdict(list)
        for (day, site, stream, category), (grams, items) in sorted(self.days.items()):
            midnight = local_midnight(day)
            if start <= midnight < end and (sites is None or site in sites):
                series[(site, stream, category)].append([int(midnight.timestamp() * 1000), grams, items])
        return [
            {"tags": {"site": s, "stream": st, "category": c}, "values": values}
            for (s, st, c), values in sorted(series.items())
        ]


def day(text: str) -> date:
    return date.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
