"""The hub's web application: API routers plus the dashboard (static files shipped in the package).

Everything needs a login (docs/users.md) or, for the feeds and reports, an API key (docs/feeds.md), except the
health check, the login page and its POST, the feed's own documentation (/api/v1/feeds/openapi.json and
/api/v1/feeds/docs) and the static files (pictograms, scripts and styles hold no data). FastAPI's own /docs
and /redoc are off: they load Swagger UI from a CDN, which a site without internet cannot reach. The whole
OpenAPI schema is at /api/v1/openapi.json, for logged-in users.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hub.api import auth, dashboard, feeds, history, reports, stations, throughput, vision
from hub.api.deps import HubState, UserDep
from hub.auth.web import SessionCookieRenewal, principal_from_request
from sortcentre import __version__

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
PICTOGRAMS = Path(__file__).resolve().parents[2] / "edge" / "stations" / "kiosk" / "static" / "pictograms"


def create_app(state: HubState) -> FastAPI:
    app = FastAPI(title="Sortcentre hub", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = state
    app.state.logins = state.logins
    app.state.users = state.logins.users if state.logins else None
    app.state.reference = state.reference
    app.state.keys = state.keys
    app.state.periods = state.periods
    app.state.feeds = state.feeds
    if state.logins is not None:
        app.add_middleware(SessionCookieRenewal, logins=state.logins)
    app.include_router(throughput.router)
    app.include_router(stations.router)
    app.include_router(auth.router)
    app.include_router(dashboard.router)
    app.include_router(history.router)
    app.include_router(vision.router)
    app.include_router(feeds.router)
    app.include_router(feeds.admin_router)
    app.include_router(reports.router)
    # The stations' pictograms, one copy for the kiosk and the dashboard.
    app.mount("/static/pictograms", StaticFiles(directory=PICTOGRAMS), name="pictograms")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        try:
            principal_from_request(request)
        except HTTPException as exc:
            if exc.status_code != 401:
                raise
            return RedirectResponse("/login?next=/", status_code=303)
        return FileResponse(STATIC / "dashboard.html")

    @app.get("/api/v1/openapi.json", include_in_schema=False)
    def openapi(_user: UserDep) -> dict[str, Any]:
        return app.openapi()

    return app
