"""A bound on request bodies, checked before anything reads one.

The only body the hub takes is a login (a user name and a password: a few hundred bytes). uvicorn and FastAPI
read a whole body into memory before the model sees it, whatever its size, so without this a single POST
could make the hub hold gigabytes. Too large is refused with 413: at once from Content-Length, or as soon as a
chunked body passes the bound.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

# A login is far below this; so is anything a form or a small JSON request of the future would send.
MAX_BODY_BYTES = 16 * 1024


class BodyTooLargeError(HTTPException):
    """Raised from the body as it is read: FastAPI passes an HTTPException on as the answer (any other error
    while reading a body it would turn into a 400)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body over {max_bytes} bytes")


class BodyLimit:
    """``own_bound``: path prefixes whose routes bound their bodies themselves (a station's capture upload, which
    counts and answers its own 413: hub/api/captures.py); every other path gets ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, own_bound: Iterable[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_bound = tuple(own_bound)

    def _log(self, scope: Scope) -> None:
        client = scope.get("client")
        address = client[0] if client else "?"
        logger.warning(
            "refused %s %s from %s: body over %d bytes", scope["method"], scope["path"], address, self.max_bytes
        )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._log(scope)
        answer = JSONResponse({"detail": f"request body over {self.max_bytes} bytes"}, status_code=413)
        await answer(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(self.own_bound):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    self._log(scope)
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError as exc:
            if started:  # the app answered before reading all of it: nothing more can be said
                raise
            await JSONResponse({"detail": exc.detail}, status_code=413)(scope, receive, send)
