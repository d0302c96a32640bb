"""GET /api/v1/throughput: kg and items per station and category over a time range, from InfluxDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from core.contract.topics import SLUG_PATTERN
from hub.api.deps import StateDep, UserDep
from hub.api.errors import STORE_ERRORS, range_error, store_error
from hub.feeds.ranges import RangeError, check_moments, to_utc
from hub.storage.influx_v1 import InfluxError
from hub.storage.throughput import Period, throughput

router = APIRouter(prefix="/api/v1", tags=["throughput"])

MAX_RANGE = timedelta(days=366)


class ThroughputRowOut(BaseModel):
    site: str
    station: str
    stream: str
    category: str
    kg: float
    items: int


class StationTotalOut(BaseModel):
    site: str
    station: str
    kg: float
    items: int


class ThroughputOut(BaseModel):
    start: datetime
    end: datetime
    rows: list[ThroughputRowOut]
    stations: list[StationTotalOut]


@router.get("/throughput", response_model=ThroughputOut, responses=STORE_ERRORS)
def get_throughput(
    state: StateDep,
    user: UserDep,
    start: Annotated[datetime | None, Query(alias="from", description="start (ISO 8601; default: 24 h ago)")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="end, exclusive (ISO 8601; default: now)")] = None,
    site: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, description="only this site (default: every site you may see)")
    ] = None,
    period: Annotated[
        Period | None,
        Query(
            description="whole local days ending with today (day, week = 7, month = 30, year = 365); not with from/to"
        ),
    ] = None,
) -> ThroughputOut:
    sites = user.scope(site)
    if period is not None:
        if start is not None or end is not None:
            raise HTTPException(400, "give either 'period' or 'from'/'to', not both")
        start_utc, end_utc = period.range(datetime.now(UTC))
    else:
        try:  # the one range check of feeds and reports (hub.feeds.ranges): far years are 400, not 500
            end_utc = to_utc(end, "'to'") if end else datetime.now(UTC)
            start_utc = to_utc(start, "'from'") if start else end_utc - timedelta(hours=24)
            check_moments(start_utc, end_utc, MAX_RANGE)
        except RangeError as exc:
            raise range_error(exc) from None
    try:
        rows = throughput(state.store, start_utc, end_utc, sites)
    except InfluxError as exc:
        raise store_error(exc) from None
    totals: dict[tuple[str, str], StationTotalOut] = {}
    for row in rows:
        total = totals.setdefault(
            (row.site, row.station), StationTotalOut(site=row.site, station=row.station, kg=0.0, items=0)
        )
        total.kg = round(total.kg + row.kg, 3)
        total.items += row.items
    return ThroughputOut(
        start=start_utc,
        end=end_utc,
        rows=[ThroughputRowOut.model_validate(r, from_attributes=True) for r in rows],
        stations=list(totals.values()),
    )
