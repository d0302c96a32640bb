"""The volume feed's request and its answers, in one place: the query parameters as partners read them in the
feed's own OpenAPI (hub/api/feed_openapi.py renders the page from it), the dependency that parses and checks
them, and the response models with the examples the schema shows.

The dependency checks in the order the feed always has: the key's scope (403), the range (400), ``group_by``
and the cursor (400), the page size (400), then the sites the key may read (400, 403). FastAPI validates the
parameters themselves (422) before any of these, and after the key itself (401).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from config.feeds import FeedSettings
from core.contract.topics import SLUG_PATTERN
from hub.api.errors import ErrorOut, range_error
from hub.feeds.ranges import RangeError, check_range
from hub.feeds.volumes import MAX_CURSOR_LENGTH, FeedError, GroupField, Interval, decode_cursor, parse_group_by
from hub.keys import CallerDep, Scope
from hub.keys.web import reference_of, requested_sites
from hub.reference import ReferenceData

DEFAULT_GROUP_BY = "site,municipality,stream,category"


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"  # comma, decimal point: RFC 4180 for programs
    CSV_NL = "csv-nl"  # semicolon, decimal comma, UTF-8 with BOM: what Dutch Excel opens correctly


def feed_settings(request: Request) -> FeedSettings:
    """``app.state.feeds`` when the app sets it (the hub's ``[feeds]`` settings), else the defaults."""
    settings: FeedSettings | None = getattr(request.app.state, "feeds", None)
    return settings or FeedSettings()


# -- the request ------------------------------------------------------------------------------------------------


def _example(summary: str, value: Any) -> dict[str, dict[str, Any]]:
    return {"example": {"summary": summary, "value": value}}


@dataclass(frozen=True, slots=True)
class VolumeQuery:
    """A volume feed request, parsed and checked: what the feed reads and how it answers."""

    first: date
    last: date  # inclusive
    interval: Interval
    group_by: tuple[GroupField, ...]
    sites: frozenset[str] | None  # the caller's sites the request names; None: every site
    output: Format
    limit: int  # rows per page
    after: tuple[str, ...] | None  # the key the cursor holds
    reference: ReferenceData


def volume_query(
    request: Request,
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
        Format,
        Query(
            alias="format",
            description="json; csv (comma, decimal point); csv-nl (for Dutch Excel: semicolon, decimal comma, "
            "UTF-8 with BOM)",
            openapi_examples=_example("CSV", "csv"),
        ),
    ] = Format.JSON,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=100_000,  # feeds.page_size's own bound; the schema partners read shows the hub's page size instead
            description="rows per page; at most the hub's feeds.page_size (1000 unless the hub's admin changed it); "
            "the default is that page size",
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
) -> VolumeQuery:
    caller.require(Scope.VOLUMES_READ)
    settings = feed_settings(request)
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
    return VolumeQuery(first, last, interval, fields, sites, output, limit or settings.page_size, after, reference)


VolumeQueryDep = Annotated[VolumeQuery, Depends(volume_query)]


# -- the answers ------------------------------------------------------------------------------------------------


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


class ClosedPeriodOut(BaseModel):
    month: str = Field(examples=["2026-10"])
    closed_at: datetime
    closed_by: str
    kg: float
    grams: int
    items: int


# The CSV columns: the period, the request's group fields, the figures, then the period's state.
HEAD = ("period_start", "period_end")
FIGURES = ("kg", "items", "grams")
TAIL = ("status", "adjustment_grams", "adjustment_items")

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
_EXAMPLE_COLUMNS = (*HEAD, *(f.value for f in GroupField), *FIGURES, *TAIL)
_EXAMPLE_CSV = (
    ",".join(_EXAMPLE_COLUMNS)
    + "\r\n"
    + "".join(",".join(str(row[c]) for c in _EXAMPLE_COLUMNS) + "\r\n" for row in _EXAMPLE_ROWS)
)
ERROR = {"model": ErrorOut}
VOLUME_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": VolumesOut,
        "description": "the rows of one page, as JSON or (format=csv, csv-nl) CSV with the same columns",
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
    400: ERROR
    | {"description": "a parameter the feed cannot answer, or a query the store refused: the message says why"},
    401: ERROR | {"description": "no API key, or an unknown or revoked one"},
    403: ERROR | {"description": "the key lacks volumes:read, or asks for a site outside its own"},
    429: ERROR | {"description": "too many requests for this key: wait Retry-After seconds"},
    503: ERROR | {"description": "the time-series store cannot be reached: try again later"},
}
