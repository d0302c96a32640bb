"""The hub's web application: API routers plus the dashboard (static files shipped in the package).

Everything needs a login (docs/users.md) or, for the feeds and reports, an API key (docs/feeds.md), except the
health check, the login page and its POST, the partner API's documentation (/docs, Swagger UI with its
assets served by the hub; /api/v1/feeds/openapi.json and /api/v1/feeds/docs) and the static files
(pictograms, scripts and styles hold no data). FastAPI's own /docs and /redoc are off: they load Swagger UI
from a CDN, which a site without internet cannot reach. The whole OpenAPI schema is at /api/v1/openapi.json,
for logged-in users. The wall screen (/wall) reads its site's live view with a screen token instead of a
login (hub/api/wall.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from config.hub import HubSettings, WebSettings
from core import __version__
from core.contract.captures import CAPTURES_PATH
from core.package_data import data_path
from hub.api import (
    alerts,
    auth,
    captures,
    dashboard,
    feeds,
    fleet,
    history,
    learning,
    models,
    reports,
    station_config,
    stations,
    throughput,
    vision,
    wall,
)
from hub.api.bad_request import install as bad_request_answers
from hub.api.deps import HubState, UserDep
from hub.api.limits import BodyLimit
from hub.api.partner_docs import install as partner_docs
from hub.auth.origin import OriginCheck, listen_origins
from hub.auth.web import SessionCookieRenewal, principal_from_request

STATIC = data_path("hub", "web", "static")
# Package data of core, not of the station: the hub never imports the station's code.
PICTOGRAMS = data_path("core.pictograms")


def server_options(settings: HubSettings) -> dict[str, Any]:
    """uvicorn's address and what it believes of proxies: X-Forwarded-For and -Proto only from the configured
    ``web.trusted_proxies`` (uvicorn's own default believes them from 127.0.0.1, so anything on the hub's
    machine, or anyone a local proxy passes the header through for, could pick its client address)."""
    proxies = settings.web.trusted_proxies
    return {
        "host": settings.http_host,
        "port": settings.http_port,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": list(proxies),
    }


def create_app(state: HubState, settings: HubSettings | None = None) -> FastAPI:
    """``settings``: the hub's, for its public URL and the address it serves (docs/users.md); without them
    (tests, a hub embedded elsewhere) links are relative and a request's own host is its origin."""
    web = settings.web if settings else WebSettings()
    app = FastAPI(title="Sortcentre hub", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = state
    app.state.web = web
    app.state.logins = state.logins
    app.state.users = state.logins.users if state.logins else None
    app.state.reference = state.reference
    app.state.keys = state.keys
    app.state.periods = state.periods
    app.state.feeds = state.feeds
    if state.logins is not None:
        app.add_middleware(SessionCookieRenewal, logins=state.logins)
    own = [web.public_url] if web.public_url else []
    if settings is not None:
        own += listen_origins(settings.http_host, settings.http_port)
    app.add_middleware(OriginCheck, origins=own, trust_host=web.public_url is None)
    # Outermost: a body too large is refused before anything reads it; capture uploads count their own bound.
    app.add_middleware(BodyLimit, own_bound=[f"{CAPTURES_PATH}/"])
    bad_request_answers(app)  # the partner API's bad parameters: 400 naming the parameter, not pydantic's 422
    partner_docs(app)  # /docs: Swagger UI on the partner API's schema, its assets served by the hub
    app.include_router(throughput.router)
    app.include_router(stations.router)
    app.include_router(auth.router)
    app.include_router(dashboard.router)
    app.include_router(alerts.router)
    app.include_router(history.router)
    app.include_router(vision.router)
    app.include_router(feeds.router)
    app.include_router(feeds.admin_router)
    app.include_router(reports.router)
    app.include_router(models.router)  # no login: models are signed, not secret (docs/fleet.md)
    app.include_router(fleet.router)
    app.include_router(captures.router)
    app.include_router(station_config.router)
    app.include_router(learning.router)
    app.include_router(wall.router)  # the wall screen and its screen tokens (docs/dashboard.md)
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
