"""The Origin check on state-changing requests (POST, PUT, PATCH, DELETE): CSRF protection beside SameSite.

SameSite=Strict keeps other sites from making a browser send our cookie, but only in browsers that implement
it, and "site" is wider than "origin" (another port or subdomain of the same host is the same site). So a
request that changes something must also say that it comes from one of the hub's own pages:

- with the session cookie, its ``Origin`` (or, missing that, the origin of its ``Referer``) must be one of the
  hub's own origins; a request that shows neither is refused too, since every browser sends one of them on a
  POST and a script that holds a session can send one as well;
- without the cookie (the login itself), a foreign Origin or Referer is refused (login CSRF: a browser
  logged in to someone else's account), and a request that shows none goes on;
- a request that shows an API key or bearer token (``Authorization``) and no session cookie is not a browser's
  doing and is not checked: what it may do is the key's business.

The hub's own origins: ``web.public_url`` and the address the server listens on; and, when no public URL is
configured, the host the request was sent to (its ``Host``). Trusting ``Host`` there is safe for this purpose:
a page on another site cannot make a browser send our cookie with a Host of its choosing, and a request that
names another host carries no cookie of ours. It is never used to build a link (hub/api/feeds.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.auth.web import COOKIE

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# The names of "every address" (compared with, never bound to).
WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})  # noqa: S104


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL or an Origin value; None for "null", garbage and non-HTTP schemes."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def host_of(header: str) -> tuple[str, int | None] | None:
    """A Host header's host and port (None when it names none)."""
    try:
        parts = urlsplit(f"//{header.strip()}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def listen_origins(host: str, port: int) -> list[str]:
    """The origins of the address the server listens on: none for a wildcard (it has no one name)."""
    if host in WILDCARDS:
        return []
    shown = f"[{host}]" if ":" in host else host
    origins = [f"http://{shown}:{port}"]
    if host in ("127.0.0.1", "::1"):
        origins.append(f"http://localhost:{port}")
    return origins


def _has_session(headers: Headers) -> bool:
    cookie = SimpleCookie()
    for header in headers.getlist("cookie"):
        try:
            cookie.load(header)
        except CookieError:
            continue
    return COOKIE in cookie


class OriginCheck:
    """ASGI middleware: 403 for a state-changing request that does not come from one of the hub's own origins."""

    def __init__(self, app: ASGIApp, origins: Iterable[str] = (), trust_host: bool = True) -> None:
        self.app = app
        self.origins = frozenset(found for found in (origin_of(o) for o in origins) if found)
        self.trust_host = trust_host  # no public URL configured: the request's own host counts as ours

    def _own(self, origin: tuple[str, str, int], host: str | None) -> bool:
        if origin in self.origins:
            return True
        if not self.trust_host or host is None:
            return False
        found = host_of(host)
        if found is None:
            return False
        name, port = found
        scheme, origin_host, origin_port = origin
        return name == origin_host and (port or DEFAULT_PORTS[scheme]) == origin_port

    def refusal(self, method: str, headers: Headers) -> str | None:
        """Why this request is refused, or None when it may go on."""
        if method.upper() in SAFE_METHODS:
            return None
        session = _has_session(headers)
        if not session and "authorization" in headers:
            return None
        shown = headers.get("origin")
        source = "Origin"
        if shown is None:
            shown, source = headers.get("referer"), "Referer"
        if shown is None:
            return "a request that changes something with a session must send Origin or Referer" if session else None
        origin = origin_of(shown)
        if origin is None or not self._own(origin, headers.get("host")):
            return f"{source} {shown[:100]!r} is not this hub: changes are only accepted from the hub's own pages"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        reason = self.refusal(scope["method"], headers)
        if reason is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "?"
        logger.warning("refused %s %s from %s: %s", scope["method"], scope["path"], address, reason)
        await JSONResponse({"detail": reason}, status_code=403)(scope, receive, send)
