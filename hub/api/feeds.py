"""The volume feed for ROVA and the municipalities (GET /api/v1/feeds/volumes), its own OpenAPI schema and
documentation page, and the admin's closed periods (docs/feeds.md).

The feed is read with an API key (``hub.keys``) that carries the ``volumes:read`` scope and names the sites
or municipalities it may read: a parameter that points outside them is answered with 403, whatever it is
(site, municipality), and no parameter means all of the key's own sites. Only aggregates leave: per period,
site, municipality, stream and category; never a station's events or who sorted them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from config.feeds import FeedSettings
from config.hub import WebSettings
from core.contract.topics import SLUG_PATTERN
from hub.api.deps import AdminDep, StateDep
from hub.api.errors import ErrorOut, range_error, store_error
from hub.feeds.openapi import feed_schema, render_docs
from hub.feeds.periods import MONTH_PATTERN, AlreadyClosedError, ClosedPeriod, PeriodError, PeriodStore, close_month
from hub.feeds.ranges import RangeError, check_range
from hub.feeds.volumes import (
    MAX_CURSOR_LENGTH,
    FeedError,
    GroupField,
    Interval,
    VolumeRow,
    decode_cursor,
    feed,
    page,
    parse_group_by,
)
from hub.keys import CallerDep, Scope
from hub.keys.web import reference_of, requested_sites
from hub.reports.csv_writer import Number, write_csv
from hub.storage.influx_v1 import InfluxError

router = APIRouter(prefix="/api/v1/feeds", tags=["feeds"])
admin_router = APIRouter(prefix="/api/v1/admin/periods", tags=["periods"])

DEFAULT_GROUP_BY = "site,municipality,stream,category"


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


class VolumeRowOut(BaseModel):
    """One period and group; a group field is present only when the request grouped by it."""

    period_start: date = Field(description="first local day of the period (cut to `from`)")
    period_end: date = Field(description="last local day of the period, included (cut to `to`)")
    site: str | None = None
    municipality: str | None = Field(None, description="null for a site that lies in no municipality")
    stream: str | None = None
    category: str | None = None
    kg: float = Field(description="grams / 1000, rounded to 3 decimals")
    items: int
    grams: int = Field(description="exact: the sum of the events' grams, undos subtracted")
    status: str = Field(description="open: can still change; closed: frozen by an admin", examples=["open"])
    adjustment_grams: int = Field(description="closed periods: grams that arrived after closing (live - frozen)")
    adjustment_items: int


class VolumesOut(BaseModel):
    reference_version: str
    from_: date = Field(alias="from")
    to: date
    interval: Interval
    group_by: list[GroupField]
    rows: list[VolumeRowOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


_EXAMPLE_ROWS: list[dict[str, Any]] = [
    {
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "site": "dalfsen",
        "municipality": "Dalfsen",
        "stream": "textile",
        "category": "creme",
        "kg": 1234.567,
        "items": 2875,
        "grams": 1234567,
        "status": "closed",
        "adjustment_grams": 1800,
        "adjustment_items": 4,
    },
    {
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "site": "dalfsen",
        "municipality": "Dalfsen",
        "stream": "textile",
        "category": "creme",
        "kg": 987.654,
        "items": 2301,
        "grams": 987654,
        "status": "open",
        "adjustment_grams": 0,
        "adjustment_items": 0,
    },
]
_EXAMPLE = {
    "reference_version": "2026-11-1",
    "from": "2026-10-01",
    "to": "2026-11-30",
    "interval": "month",
    "group_by": ["site", "municipality", "stream", "category"],
    "rows": _EXAMPLE_ROWS,
    "next_cursor": None,
}
_COLUMNS = ("period_start", "period_end", "site", "municipality", "stream", "category", "kg", "items", "grams")
_TAIL = ("status", "adjustment_grams", "adjustment_items")
_EXAMPLE_CSV = (
    ",".join((*_COLUMNS, *_TAIL))
    + "\r\n"
    + "".join(",".join(str(row[c]) for c in (*_COLUMNS, *_TAIL)) + "\r\n" for row in _EXAMPLE_ROWS)
)
_ERROR = {"model": ErrorOut}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": VolumesOut,
        "description": "the rows of one page, as JSON or (format=csv) CSV with the same columns",
        "content": {"application/json": {"example": _EXAMPLE}, "text/csv": {"example": _EXAMPLE_CSV}},
        "headers": {
            "ETag": {"description": "send back as If-None-Match", "schema": {"type": "string"}},
            "Link": {
                "description": 'the next page: <...>; rel="next", on the hub\'s public address or relative to this one',
                "schema": {"type": "string"},
            },
            "X-Reference-Version": {"description": "the reference data's version", "schema": {"type": "string"}},
        },
    },
    304: {"description": "not modified: the answer has the ETag in If-None-Match"},
    400: _ERROR
    | {"description": "a parameter the feed cannot answer, or a query the store refused: the message says why"},
    401: _ERROR | {"description": "no API key, or an unknown or revoked one"},
    403: _ERROR | {"description": "the key lacks volumes:read, or asks for a site outside its own"},
    429: _ERROR | {"description": "too many requests for this key: wait Retry-After seconds"},
    503: _ERROR | {"description": "the time-series store cannot be reached: try again later"},
}


def _example(summary: str, value: Any) -> dict[str, dict[str, Any]]:
    return {"example": {"summary": summary, "value": value}}


def _periods(request: Request) -> PeriodStore:
    periods: PeriodStore | None = getattr(request.app.state, "periods", None)
    if periods is None:  # an app made without a Hub: better no answer than "open" for a month that is closed
        raise HTTPException(503, "this hub keeps no closed periods (feeds.periods_file)")
    return periods


def _settings(request: Request) -> FeedSettings:
    """``app.state.feeds`` when the app sets it (the hub's ``[feeds]`` settings), else the defaults."""
    settings: FeedSettings | None = getattr(request.app.state, "feeds", None)
    return settings or FeedSettings()


def _row(row: VolumeRow, group_by: Sequence[GroupField]) -> dict[str, Any]:
    out: dict[str, Any] = {"period_start": row.period_start.isoformat(), "period_end": row.period_end.isoformat()}
    out |= {field.value: value for field, value in zip(group_by, row.groups, strict=True)}
    return out | {
        "kg": row.kg,
        "items": row.items,
        "grams": row.grams,
        "status": row.status,
        "adjustment_grams": row.adjustment_grams,
        "adjustment_items": row.adjustment_items,
    }


def _csv(rows: list[dict[str, Any]], group_by: Sequence[GroupField]) -> bytes:
    """Through the hub's one CSV writer: a site or category name a spreadsheet could run is written as text."""
    columns = ["period_start", "period_end", *(f.value for f in group_by), "kg", "items", "grams", *_TAIL]
    lines = [[Number(f"{row['grams'] / 1000:.3f}") if c == "kg" else row[c] for c in columns] for row in rows]
    return write_csv(columns, lines)


def next_page(request: Request, cursor: str) -> str:
    """The next page's address: the configured ``web.public_url`` and this request's path and query with the
    new cursor, or (no public URL) that path and query alone, which RFC 8288 §3.2 resolves against the
    request's own URL. Never the request's Host header: a forged Host would be echoed into a link that a
    cache or a partner's client then follows."""
    web: WebSettings | None = getattr(request.app.state, "web", None)
    query = request.url.include_query_params(cursor=cursor).query
    return f"{web.public_url if web and web.public_url else ''}{request.url.path}?{query}"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: a list of entity tags, or "*", compared weakly."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


@router.get(
    "/volumes",
    response_model=None,
    responses=_RESPONSES,
    summary="Collected volumes per period and group",
    description=(
        "kg, items and exact grams per local day, ISO week (Monday to Sunday) or calendar month, grouped by any "
        "of site, municipality, stream and category. Rows are sorted by period, then by the group fields; the "
        "first and last period are cut to `from` and `to`. Rows whose figures are all zero are left out."
    ),
)
def get_volumes(
    request: Request,
    state: StateDep,
    caller: CallerDep,
    first: Annotated[
        date,
        Query(
            alias="from", description="first local day, YYYY-MM-DD", openapi_examples=_example("1 Oct", "2026-10-01")
        ),
    ],
    last: Annotated[
        date,
        Query(
            alias="to",
            description="last local day, included; at most 366 days after `from` (the hub's feeds.max_range_days)",
            openapi_examples=_example("30 Nov", "2026-11-30"),
        ),
    ],
    interval: Annotated[
        Interval, Query(description="one row per day, ISO week or month", openapi_examples=_example("months", "month"))
    ] = Interval.MONTH,
    group_by: Annotated[
        str,
        Query(
            max_length=200,
            description="comma-separated: site, municipality, stream, category (category brings its stream); "
            "empty for totals per period",
            openapi_examples=_example("per municipality and stream", "municipality,stream"),
        ),
    ] = DEFAULT_GROUP_BY,
    site: Annotated[
        str | None,
        Query(pattern=SLUG_PATTERN, description="only this site", openapi_examples=_example("one site", "dalfsen")),
    ] = None,
    municipality: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=80,
            description="only this municipality's sites (its slug or name)",
            openapi_examples=_example("one municipality", "Dalfsen"),
        ),
    ] = None,
    output: Annotated[
        Format, Query(alias="format", description="json, or csv", openapi_examples=_example("CSV", "csv"))
    ] = Format.JSON,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=100_000,
            description="rows per page; at most the hub's feeds.page_size (default and maximum 1000)",
            openapi_examples=_example("small pages", 100),
        ),
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="the next_cursor of the previous page, with otherwise the same parameters",
            openapi_examples=_example("second page", "WyIyMDI2LTExLTAxIiwiRGFsZnNlbiIsInRleHRpbGUiXQ"),
        ),
    ] = None,
) -> Response:
    caller.require(Scope.VOLUMES_READ)
    settings = _settings(request)
    reference = reference_of(request)
    try:
        check_range(first, last, settings.max_range_days)
    except RangeError as exc:
        raise range_error(exc) from None
    try:
        fields = parse_group_by(group_by)
        after = decode_cursor(cursor, 1 + len(fields)) if cursor is not None else None
    except FeedError as exc:
        raise HTTPException(400, str(exc)) from None
    if limit is not None and limit > settings.page_size:
        raise HTTPException(400, f"limit: at most {settings.page_size} rows per page")
    sites = caller.allowed_sites(requested_sites(reference, site, municipality))

    def municipality_of(name: str) -> str | None:
        found = reference.municipality_of(name)
        return found.name if found else None

    try:
        found = feed(state.store, _periods(request), first, last, sites, interval, fields, municipality_of)
    except InfluxError as exc:
        raise store_error(exc) from None
    chosen, next_cursor = page(found, after, limit or settings.page_size)
    rows = [_row(row, fields) for row in chosen]
    headers = {"Cache-Control": "private, no-cache", "X-Reference-Version": reference.version}
    if next_cursor is not None:
        headers["Link"] = f'<{next_page(request, next_cursor)}>; rel="next"'
    if output is Format.CSV:
        body = _csv(rows, fields)
        media_type = "text/csv; charset=utf-8"
        headers["Content-Disposition"] = f'attachment; filename="sortcentre-volumes-{first}-{last}.csv"'
    else:
        answer = {
            "reference_version": reference.version,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "interval": interval.value,
            "group_by": [f.value for f in fields],
            "rows": rows,
            "next_cursor": next_cursor,
        }
        body = json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode()
        media_type = "application/json"
    headers["ETag"] = etag_of(body)
    if _matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@cache
def _schema() -> dict[str, Any]:
    return feed_schema(router.routes)


@router.get("/openapi.json", include_in_schema=False)
def get_feed_openapi() -> dict[str, Any]:
    """Anonymous: it is documentation, and says nothing about anyone's volumes."""
    return _schema()


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def get_feed_docs() -> HTMLResponse:
    return HTMLResponse(_docs_page())


@cache
def _docs_page() -> str:
    return render_docs(_schema())


# -- closed periods (admins, with their dashboard session) -----------------------------------------------------
class ClosedPeriodOut(BaseModel):
    month: str = Field(examples=["2026-10"])
    closed_at: datetime
    closed_by: str
    kg: float
    grams: int
    items: int


def _out(period: ClosedPeriod) -> ClosedPeriodOut:
    return ClosedPeriodOut.model_validate(period, from_attributes=True)


@admin_router.post(
    "/{month}/close",
    response_model=ClosedPeriodOut,
    responses={400: _ERROR, 409: _ERROR, 503: _ERROR},
    summary="Close a month: freeze its figures",
)
def post_close_period(
    request: Request,
    state: StateDep,
    admin: AdminDep,
    month: Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM, a month that has ended")],
) -> ClosedPeriodOut:
    try:
        closed = close_month(state.store, _periods(request), month, admin.username)
    except AlreadyClosedError as exc:
        raise HTTPException(409, str(exc)) from None
    except PeriodError as exc:
        raise HTTPException(400, str(exc)) from None
    except InfluxError as exc:
        raise store_error(exc) from None
    return _out(closed)


@admin_router.get("", response_model=list[ClosedPeriodOut], summary="The closed months")
def get_closed_periods(request: Request, _admin: AdminDep) -> list[ClosedPeriodOut]:
    return [_out(period) for period in _periods(request).closed()]
