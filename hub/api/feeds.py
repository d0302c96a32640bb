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
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response

from config.hub import WebSettings
from hub.api import reports
from hub.api.deps import AdminDep, StateDep
from hub.api.errors import store_error
from hub.api.feed_models import (
    ERROR,
    FIGURES,
    HEAD,
    TAIL,
    VOLUME_RESPONSES,
    ClosedPeriodOut,
    Format,
    VolumeQueryDep,
    feed_settings,
)
from hub.api.feed_openapi import feed_schema, render_docs
from hub.feeds.periods import MONTH_PATTERN, AlreadyClosedError, ClosedPeriod, PeriodError, PeriodStore, close_month
from hub.feeds.volumes import GroupField, VolumeRow, feed, page
from hub.reports.csv_writer import Dialect, Number, write_csv
from hub.reports.render import kg
from hub.storage.influx_v1 import InfluxError

router = APIRouter(prefix="/api/v1/feeds", tags=["feeds"])
admin_router = APIRouter(prefix="/api/v1/admin/periods", tags=["periods"])


def _periods(request: Request) -> PeriodStore:
    periods: PeriodStore | None = getattr(request.app.state, "periods", None)
    if periods is None:  # an app made without a Hub: better no answer than "open" for a month that is closed
        raise HTTPException(503, "this hub keeps no closed periods (feeds.periods_file)")
    return periods


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


def _csv(rows: list[dict[str, Any]], group_by: Sequence[GroupField], output: Format) -> bytes:
    """Through the hub's one CSV writer, as the reports write theirs: plain (comma, decimal point) or, for
    ``csv-nl``, Dutch Excel's (semicolon, decimal comma, BOM). A site or category name a spreadsheet could run
    is written as text; kg comes from the exact grams."""
    dutch = output is Format.CSV_NL
    columns = [*HEAD, *(f.value for f in group_by), *FIGURES, *TAIL]
    lines = [
        [Number(kg(row["grams"], "," if dutch else ".")) if c == "kg" else row[c] for c in columns] for row in rows
    ]
    return write_csv(columns, lines, Dialect.DUTCH if dutch else Dialect.PLAIN)


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
    responses=VOLUME_RESPONSES,
    summary="Collected volumes per period and group",
    description=(
        "kg, items and exact grams per local day, ISO week (Monday to Sunday) or calendar month, grouped by any "
        "of site, municipality, stream and category. Rows are sorted by period, then by the group fields; the "
        "first and last period are cut to `from` and `to`. Rows whose figures are all zero are left out."
    ),
)
def get_volumes(request: Request, state: StateDep, query: VolumeQueryDep) -> Response:
    reference = query.reference

    def municipality_of(name: str) -> str | None:
        found = reference.municipality_of(name)
        return found.name if found else None

    fields = query.group_by
    try:
        found = feed(
            state.store,
            _periods(request),
            query.first,
            query.last,
            query.sites,
            query.interval,
            fields,
            municipality_of,
        )
    except InfluxError as exc:
        raise store_error(exc) from None
    chosen, next_cursor = page(found, query.after, query.limit)
    rows = [_row(row, fields) for row in chosen]
    headers = {"Cache-Control": "private, no-cache", "X-Reference-Version": reference.version}
    if next_cursor is not None:
        headers["Link"] = f'<{next_page(request, next_cursor)}>; rel="next"'
    if query.output is not Format.JSON:
        body = _csv(rows, fields, query.output)
        media_type = "text/csv; charset=utf-8"
        nl = "-nl" if query.output is Format.CSV_NL else ""
        headers["Content-Disposition"] = f'attachment; filename="sortcentre-volumes-{query.first}-{query.last}{nl}.csv"'
    else:
        answer = {
            "reference_version": reference.version,
            "from": query.first.isoformat(),
            "to": query.last.isoformat(),
            "interval": query.interval.value,
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
def partner_schema(page_size: int) -> dict[str, Any]:
    """The partner API's schema: the feed and the reports, with this hub's page size as ``limit``'s maximum."""
    return feed_schema([*router.routes, *reports.router.routes], page_size)


@router.get("/openapi.json", include_in_schema=False)
def get_feed_openapi(request: Request) -> dict[str, Any]:
    """Anonymous: it is documentation, and says nothing about anyone's volumes (/docs shows it)."""
    return partner_schema(feed_settings(request).page_size)


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def get_feed_docs(request: Request) -> HTMLResponse:
    return HTMLResponse(_docs_page(feed_settings(request).page_size))


@cache
def _docs_page(page_size: int) -> str:
    return render_docs(partner_schema(page_size))


# -- closed periods (admins, with their dashboard session) -----------------------------------------------------
def _out(period: ClosedPeriod) -> ClosedPeriodOut:
    return ClosedPeriodOut.model_validate(period, from_attributes=True)


@admin_router.post(
    "/{month}/close",
    response_model=ClosedPeriodOut,
    responses={400: ERROR, 409: ERROR, 503: ERROR},
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
