"""GET /api/v1/history: kg and items per hour, day or month over a period, by station, site, stream or category,
as JSON (charts and a table) or CSV (a download). Only the sites the person may see (docs/dashboard.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from core.contract.topics import SLUG_PATTERN
from hub.api.deps import StateDep, UserDep
from hub.api.errors import STORE_ERRORS, store_error
from hub.reports.csv_writer import Cell, Number, write_csv
from hub.storage.history import Group, History, history
from hub.storage.influx_v1 import InfluxError
from hub.storage.rollups import rfc3339
from hub.storage.throughput import Period

router = APIRouter(prefix="/api/v1", tags=["history"])


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


class SeriesOut(BaseModel):
    key: str
    kg: list[float]
    items: list[int]


class TableRowOut(BaseModel):
    key: str
    kg: float
    items: int


class HistoryOut(BaseModel):
    period: Period
    group: Group
    start: datetime
    end: datetime
    bucket: str
    buckets: list[datetime]
    series: list[SeriesOut]
    table: list[TableRowOut]


def _kg(grams: int) -> float:
    return round(grams / 1000, 3)


def as_json(found: History) -> HistoryOut:
    return HistoryOut(
        period=found.period,
        group=found.group,
        start=found.start,
        end=found.end,
        bucket=found.bucket.value,
        buckets=list(found.buckets),
        series=[SeriesOut(key=s.key, kg=[_kg(g) for g in s.grams], items=list(s.items)) for s in found.series],
        table=[TableRowOut(key=s.key, kg=_kg(s.total_grams), items=s.total_items) for s in found.series],
    )


def as_csv(found: History) -> Response:
    lines: list[list[Cell]] = [
        [rfc3339(start), series.key, Number(f"{series.grams[slot] / 1000:.3f}"), series.items[slot]]
        for slot, start in enumerate(found.buckets)
        for series in found.series
        if series.grams[slot] or series.items[slot]
    ]
    filename = f"sortcentre-{found.period.value}-{found.group.value}.csv"
    return Response(
        write_csv(["bucket_start", found.group.value, "kg", "items"], lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/history",
    response_model=HistoryOut,
    responses={**STORE_ERRORS, 200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
def get_history(
    state: StateDep,
    user: UserDep,
    period: Annotated[
        Period, Query(description="day: today by hour; week/month: 7/30 local days; year: 365 days by month")
    ] = Period.DAY,
    group: Annotated[Group, Query(description="one series per station, site, stream or category")] = Group.STATION,
    site: Annotated[str | None, Query(pattern=SLUG_PATTERN, description="only this site")] = None,
    output: Annotated[Format, Query(alias="format", description="json, or csv for a download")] = Format.JSON,
) -> HistoryOut | Response:
    scope = user.scope(site)
    try:
        found = history(state.store, period, group, scope)
    except InfluxError as exc:
        raise store_error(exc) from None
    return as_csv(found) if output is Format.CSV else as_json(found)
