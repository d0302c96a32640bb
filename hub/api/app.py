"""The hub's web application: API routers plus the status page (static files shipped in the package)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from hub.api import auth, dashboard, history, stations, throughput, vision
from hub.api.deps import HubState
from sortcentre import __version__

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
PICTOGRAMS = Path(__file__).resolve().parents[2] / "edge" / "stations" / "kiosk" / "static" / "pictograms"


def create_app(state: HubState) -> FastAPI:
    app = FastAPI(title="Sortcentre hub", version=__version__)
    app.state.hub = state
    app.include_router(throughput.router)
    app.include_router(stations.router)
    app.include_router(auth.router)
    app.include_router(dashboard.router)
    app.include_router(history.router)
    app.include_router(vision.router)
    # The stations' pictograms, one copy for the kiosk and the dashboard.
    app.mount("/static/pictograms", StaticFiles(directory=PICTOGRAMS), name="pictograms")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
