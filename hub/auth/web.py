"""The session cookie on the web side: who is asking (``principal_from_request``), and the cookie itself.

The cookie is HttpOnly (no script can read it), SameSite=Strict (no other site can make a browser send it) and
Secure when ``auth.secure_cookies`` says the hub is behind HTTPS. Against cross-site request forgery there is
also the Origin check on every request that changes something (``hub.auth.origin``).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.auth.principal import Principal

if TYPE_CHECKING:
    from config.hub import AuthSettings
    from hub.auth.logins import Logins

COOKIE = "sortcentre_session"
# request.state key: the session's idle deadline moved, so the cookie's lifetime moves with it.
RENEW = "renew_session"


def logins_of(request: Request) -> Logins:
    logins: Logins | None = getattr(request.app.state, "logins", None)
    if logins is None:  # an app made without a user store: nobody can log in
        raise HTTPException(401, "log in first")
    return logins


def principal_from_request(request: Request) -> Principal:
    """The person behind the session cookie, or 401 (the page then sends them to /login)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise HTTPException(401, "log in first")
    session = logins_of(request).users.session(token)
    if session is None:
        raise HTTPException(401, "your session has ended: log in again")
    if session.renewed:
        setattr(request.state, RENEW, token)
    return session.principal


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _cookie_response(token: str | None, settings: AuthSettings) -> Response:
    response = Response()
    if token is None:
        response.delete_cookie(COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict")
    else:
        response.set_cookie(
            COOKIE,
            token,
            # The browser keeps it as long as the hub would; a wall screen's restarted browser stays logged in.
            max_age=round(settings.session_idle_days * 86_400),
            path="/",
            secure=settings.secure_cookies,
            httponly=True,
            samesite="strict",
        )
    return response


def set_session_cookie(response: Response, token: str, settings: AuthSettings) -> None:
    response.headers.append("set-cookie", _cookie_response(token, settings).headers["set-cookie"])


def clear_session_cookie(response: Response, settings: AuthSettings) -> None:
    response.headers.append("set-cookie", _cookie_response(None, settings).headers["set-cookie"])


def metrics_reader(request: Request) -> None:
    """Prometheus cannot log in: it shows the bearer token of ``auth.metrics_token``. People need to be admins."""
    header = request.headers.get("authorization", "")
    if header:
        token = logins_of(request).settings.metrics_token
        scheme, _, given = header.partition(" ")
        if (
            token is not None
            and scheme.lower() == "bearer"
            and secrets.compare_digest(given.strip().encode(), token.get_secret_value().encode())
        ):
            return
        raise HTTPException(401, "wrong metrics token", headers={"WWW-Authenticate": "Bearer"})
    if not principal_from_request(request).is_admin:
        raise HTTPException(403, "admins only")


class SessionCookieRenewal:
    """Re-sends the cookie with a fresh Max-Age when a request moved its session's idle deadline.

    An ASGI middleware rather than a dependency: endpoints that return a response of their own (files, the
    live event stream) would drop headers a dependency sets."""

    def __init__(self, app: ASGIApp, logins: Logins) -> None:
        self.app = app
        self.logins = logins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_renewed(message: Message) -> None:
            token = state.get(RENEW)
            if message["type"] == "http.response.start" and token:
                cookie = _cookie_response(token, self.logins.settings).headers["set-cookie"]
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_renewed)
