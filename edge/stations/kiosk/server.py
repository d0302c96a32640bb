"""The station's local kiosk page: a small web server on the Pi that shows what the station is doing.

Sorters work with the physical button board; the page only shows state. Its controls are the language of its own
texts (Dutch or English, kept in the browser) and the station's second language under each Dutch category name
(one key cycles through them; kept on the station's disk, see :mod:`edge.stations.kiosk.translations`).
The server reads the station's screen state from a function and pushes changes to the page as server-sent
events, so the page needs no build step, no internet and no polling of its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sse_starlette import EventSourceResponse, ServerSentEvent

from core.package_data import data_path
from edge.stations.kiosk.localised import localised
from edge.stations.kiosk.translations import LANGUAGE_CODE, KioskLanguages

logger = logging.getLogger(__name__)

STATIC = data_path("edge.stations.kiosk", "static")
# Shared with the hub's dashboard, so they live in core (see core/pictograms/__init__.py).
PICTOGRAMS = data_path("core.pictograms")

ScreenStateSource = Callable[[], Mapping[str, Any]]
"""Returns what the screen shows now; see :class:`edge.stations.kiosk.screen_state.ScreenState` for the shape."""

# 100 ms: a weight change or a key press shows on screen before the sorter looks up from the scale, and a poll
# of the in-memory screen state costs nothing next to that.
POLL_INTERVAL_S = 0.1
# 15 s: well inside the idle timeouts of browsers and proxies, so a quiet station does not look like a dead one.
KEEPALIVE_S = 15.0
# The page reconnects this soon after the stream drops (the browser's default is about 3 s); a restarted agent
# is back on screen at once.
RECONNECT_MS = 1000
# A browser that stops reading (a frozen kiosk) must not hold a server task forever.
SEND_TIMEOUT_S = 10.0
# The seed's sites are all in the Netherlands; [kiosk] time_zone sets another.
DEFAULT_TIME_ZONE = "Europe/Amsterdam"
# The language key's "Dutch only" position, in the URL that chooses it.
NO_SECOND_LANGUAGE = "none"


def _encode(state: Mapping[str, Any]) -> str:
    return json.dumps(jsonable_encoder(state), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


async def _changes(
    read_state: Callable[[], Mapping[str, Any]], closing: threading.Event, poll_interval_s: float
) -> AsyncIterator[ServerSentEvent]:
    """One ``state`` event with the first screen state, then one each time it differs from the last one sent."""
    last: str | None = None
    while not closing.is_set():
        # read_state() may wait on the agent's lock: never on the event loop.
        text = _encode(await asyncio.to_thread(read_state))
        if text != last:
            # The reconnect delay travels with the first event: the browser keeps it for the page's life.
            yield ServerSentEvent(data=text, event="state", retry=RECONNECT_MS if last is None else None)
            last = text
        await asyncio.sleep(poll_interval_s)


def create_kiosk_app(
    read_state: ScreenStateSource,
    *,
    closing: threading.Event | None = None,
    poll_interval_s: float = POLL_INTERVAL_S,
    keepalive_s: float = KEEPALIVE_S,
    languages: KioskLanguages | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> FastAPI:
    """The kiosk's web app. ``closing``, once set, ends open event streams so that a server can stop promptly.
    ``languages``: the second languages and where the choice is kept (default: the shipped ones, the choice in
    memory only); ``time_zone``: the site's, for the times on screen."""
    if closing is None:
        closing = threading.Event()
    langs = languages if languages is not None else KioskLanguages()
    zone = ZoneInfo(time_zone)

    def screen() -> dict[str, Any]:
        return localised(read_state(), langs, zone)

    app = FastAPI(title="Sortcentre station kiosk", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static/pictograms", StaticFiles(directory=PICTOGRAMS), name="pictograms")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        # The page is tiny and changes with a software update: never let the kiosk browser keep an old copy.
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/api/state")
    def state() -> JSONResponse:
        # A plain (sync) endpoint runs in the thread pool, so a read_state that takes a lock does not block the loop.
        return JSONResponse(jsonable_encoder(screen()))

    @app.put("/api/second-language/{code}")
    def choose_second_language(code: str) -> JSONResponse:
        """The language key: ``none`` for Dutch only, or one of the state's ``languages``. Kept until changed."""
        if code != NO_SECOND_LANGUAGE and not LANGUAGE_CODE.match(code):
            raise HTTPException(400, f"{code[:20]!r} is not a language code (two or three letters, or 'none')")
        try:
            langs.choice.choose(None if code == NO_SECOND_LANGUAGE else code)
        except KeyError:
            offered = ", ".join(langs.order) or "none"
            raise HTTPException(404, f"language {code!r} is not offered at this station (offered: {offered})") from None
        return JSONResponse({"second_language": langs.choice.code})

    @app.get("/api/events")
    def events() -> EventSourceResponse:
        return EventSourceResponse(
            _changes(screen, closing, poll_interval_s),
            ping=keepalive_s,
            send_timeout=SEND_TIMEOUT_S,
        )

    return app


class KioskServer:
    """Serves the kiosk page with uvicorn in a daemon thread, next to the station agent.

    ``port=0`` picks a free port; :attr:`port` holds the real one after :meth:`start`.
    """

    def __init__(
        self,
        read_state: ScreenStateSource,
        host: str = "127.0.0.1",
        port: int = 8090,
        *,
        languages: KioskLanguages | None = None,
        time_zone: str = DEFAULT_TIME_ZONE,
    ) -> None:
        self.host = host
        self.port = port
        self._closing = threading.Event()
        self._app = create_kiosk_app(read_state, closing=self._closing, languages=languages, time_zone=time_zone)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = self._local_host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def _local_host(self) -> str:
        """Where this machine reaches the server: a wildcard address is reached on loopback."""
        wildcards = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104 - compared, not bound
        return wildcards.get(self.host, self.host)

    def start(self, timeout_s: float = 10.0) -> None:
        """Starts serving; returns once the port answers. Raises RuntimeError if the server cannot start."""
        if self._thread is not None:
            raise RuntimeError("kiosk server already started")
        # Bound here, not by uvicorn: a taken port is an error in the caller's thread (uvicorn would exit its own),
        # and port 0 resolves at once.
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise RuntimeError(f"kiosk server could not start on {self.host}:{self.port}: {exc}") from exc
        self.port = sock.getsockname()[1]
        self._closing.clear()
        config = uvicorn.Config(
            self._app,
            # The agent owns logging; uvicorn must not replace its configuration.
            log_config=None,
            access_log=False,
            # Backstop only: open event streams end on their own when _closing is set.
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=self._serve, args=(server, sock), name="kiosk-server", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive():
                self._server = self._thread = None
                raise RuntimeError(f"kiosk server could not start on {self.host}:{self.port} (see the log)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"kiosk server did not start on {self.host}:{self.port} within {timeout_s} s")
            time.sleep(0.02)
        with socket.create_connection((self._local_host, self.port), timeout=timeout_s):
            pass
        logger.info("kiosk page on %s", self.url)

    @staticmethod
    def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit:
            # uvicorn exits when its startup fails, after logging why; start() sees the thread end.
            logger.error("kiosk server stopped during startup")
        finally:
            sock.close()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ends the event streams (browsers then show that the station is gone), stops the server and joins it."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._closing.set()
        server.should_exit = True
        thread.join(timeout_s)
        if thread.is_alive():
            logger.warning("kiosk server did not stop within %s s", timeout_s)
        self._server = self._thread = None
