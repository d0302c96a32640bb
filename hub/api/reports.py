"""GET /api/v1/reports/{kind}: the BKN, UPV Textiel, CBS and CO2e reports as a printable page or CSV.

Read with an API key (or a dashboard session) that has the ``reports:read`` scope; ``site`` and
``municipality`` narrow the report within the caller's own sites, and anything outside them is 403, whatever
parameter names it. Reports hold aggregates per site, municipality, stream and category only: never a
station's events or who sorted them. Definitions: docs/feeds.md, "Reports".
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from config.feeds import FeedSettings
from core.contract.topics import SLUG_PATTERN
from hub.api.deps import StateDep
from hub.api.errors import range_error, store_error
from hub.feeds.ranges import RangeError, check_range
from hub.keys import CallerDep, Scope
from hub.keys.web import reference_of, requested_sites
from hub.reports.build import Meta, ReportKind, build, describe_scope, month_status
from hub.reports.fetch import month_volumes
from hub.reports.render import Format, filename, to_csv, to_html
from hub.storage.influx_v1 import InfluxError
from hub.storage.rollups import LOCAL

if TYPE_CHECKING:
    from hub.feeds.periods import PeriodStore

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

# The page is self-contained: no script, no image, no request of its own. The policy says so to the browser,
# so even a name that escaped escaping could not run or fetch anything.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the report: an HTML page (format=html) or CSV (format=csv or csv-nl)",
        "content": {"text/html": {}, "text/csv": {}},
    },
    400: {
        "description": "a range the report cannot answer (backwards, over 366 days, outside 1970-2199), an unknown "
        "municipality, or a query the time-series store refused"
    },
    401: {"description": "no API key or session, or an unknown or revoked key"},
    403: {"description": "the key lacks reports:read, or asks for a site outside its own"},
    429: {"description": "too many requests for this key: wait Retry-After seconds"},
    503: {"description": "the time-series store (or the reference data) cannot be reached: try again later"},
}


@router.get("/{kind}", response_class=Response, responses=_ERRORS, summary="A report as a printable page or CSV")
def get_report(
    request: Request,
    state: StateDep,
    caller: CallerDep,
    kind: Annotated[ReportKind, Path(description="bkn, upv-textiel, cbs or co2e")],
    first: Annotated[date, Query(alias="from", description="first local day (Europe/Amsterdam), YYYY-MM-DD")],
    last: Annotated[
        date, Query(alias="to", description="last local day, included; at most feeds.max_range_days (366) in all")
    ],
    site: Annotated[str | None, Query(pattern=SLUG_PATTERN, description="only this site (one of yours)")] = None,
    municipality: Annotated[
        str | None, Query(min_length=1, max_length=80, description="only this municipality, by name or slug")
    ] = None,
    output: Annotated[
        Format, Query(alias="format", description="html: a printable page; csv; csv-nl: for Dutch Excel")
    ] = Format.HTML,
) -> Response:
    caller.require(Scope.REPORTS_READ)
    settings: FeedSettings = getattr(request.app.state, "feeds", None) or FeedSettings()
    try:
        check_range(first, last, settings.max_range_days)  # the same limits as the volume feed
    except RangeError as exc:
        raise range_error(exc) from None
    reference = reference_of(request)
    sites = caller.allowed_sites(requested_sites(reference, site, municipality))
    periods: PeriodStore | None = getattr(request.app.state, "periods", None)
    try:
        months = month_volumes(state.store, periods, first, last, sites)
    except InfluxError as exc:
        raise store_error(exc) from None
    except sqlite3.Error as exc:
        raise HTTPException(503, f"closed-period store unavailable: {exc}") from None
    report = build(kind, months, reference, sites)
    meta = Meta(
        first=first,
        last=last,
        scope=describe_scope(sites, reference),
        reference_version=reference.version,
        generated=datetime.now(LOCAL).strftime("%Y-%m-%d %H:%M %Z"),
        months=month_status(months),
    )
    headers = {
        "Cache-Control": "no-store",  # live figures, and one partner's figures are not another's
        "X-Reference-Version": reference.version,
        "X-Open-Months": ",".join(f"{m.first:%Y-%m}" for m in meta.open_months),
        "X-Closed-Months": ",".join(f"{m.first:%Y-%m}" for m in meta.closed_months),
    }
    name = filename(report, meta, output)
    if output is Format.HTML:
        headers |= {
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{name}"',
        }
        return Response(to_html(report, meta), media_type="text/html; charset=utf-8", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(to_csv(report, output), media_type="text/csv; charset=utf-8", headers=headers)
