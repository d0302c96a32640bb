"""Who is asking a feed or report (``feed_caller``): an API key, or a person logged in to the dashboard.

``Authorization: Bearer <key>`` wins when present: a partner's system never has a session, and a request that
shows a key is judged by that key alone, so a bad key is 401 even from a browser that is logged in. Without
the header the session cookie is checked the way the dashboard checks it (``hub.auth.web``): an admin reads
every site with every scope, a supervisor their own sites.

Only keys are rate limited: people are few and logged in, and the login limit guards their passwords.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request

from hub.auth.web import COOKIE, principal_from_request
from hub.keys.caller import Caller, Scope
from hub.keys.store import KeyStore
from hub.reference import ReferenceData

logger = logging.getLogger(__name__)

_BEARER = {"WWW-Authenticate": "Bearer"}  # RFC 6750 §3: a 401 says which scheme it wants


def _keys(request: Request) -> KeyStore:
    keys: KeyStore | None = getattr(request.app.state, "keys", None)
    if keys is None:  # an app made without a key store: no key is valid
        raise HTTPException(401, "this hub takes no API keys", headers=_BEARER)
    return keys


def reference_of(request: Request) -> ReferenceData:
    """The hub's reference data (create_app always sets it; without it no municipality has sites)."""
    reference: ReferenceData | None = getattr(request.app.state, "reference", None)
    if reference is None:
        raise HTTPException(503, "the hub has no reference data loaded")
    return reference


def requested_sites(reference: ReferenceData, site: str | None, municipality: str | None) -> frozenset[str] | None:
    """The sites a feed or report request names (None: no narrowing), for ``Caller.allowed_sites``. Both
    given: the site must lie in the municipality."""
    requested: frozenset[str] | None = None
    if municipality is not None:
        try:
            requested = reference.sites_of(municipality)
        except KeyError:
            raise HTTPException(400, f"municipality: unknown municipality {municipality!r}") from None
    if site is not None:
        if requested is not None and site not in requested:
            raise HTTPException(400, f"site {site!r} does not lie in municipality {municipality!r}")
        requested = frozenset({site})
    return requested


def _key_caller(request: Request, header: str) -> Caller:
    scheme, _, given = header.partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        raise HTTPException(401, "send the API key as 'Authorization: Bearer <key>'", headers=_BEARER)
    keys = _keys(request)
    key = keys.lookup(given)
    if key is None:
        raise HTTPException(401, "unknown API key", headers=_BEARER)
    if key.revoked:
        raise HTTPException(401, "this API key was revoked", headers=_BEARER)
    wait = keys.limiter.take(key.id)
    if wait is not None:
        logger.info("API key %s over its rate limit", key.id)
        raise HTTPException(
            429,
            f"too many requests for this key (at most {keys.limiter.burst} at once, then "
            f"{keys.limiter.rate_per_s * 60:g} per minute): try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    return Caller(key.name, key.scopes, key.reach(reference_of(request)), key_id=key.id)


def wants_page(request: Request) -> bool:
    """A browser following a link (it asks for HTML first), not a partner's script (JSON, CSV or anything)."""
    accept = request.headers.get("accept", "")
    return request.method == "GET" and accept.split(",", 1)[0].strip().lower().startswith("text/html")


def feed_caller(request: Request) -> Caller:
    """The caller of a feed or report: an API key's reach and scopes, or a dashboard session's. Without either,
    a browser is sent to the login page and comes back; any other client gets 401 with ``WWW-Authenticate:
    Bearer`` and a sentence saying how to send a key (RFC 6750 §3), not the dashboard's "log in first"."""
    header = request.headers.get("authorization")
    if header:
        return _key_caller(request, header)
    try:
        principal = principal_from_request(request)  # 401 without a live session
    except HTTPException as exc:
        if exc.status_code != 401:
            raise
        if wants_page(request):
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(
                303, "log in first", headers={"Location": f"/login?{urlencode({'next': back})}"}
            ) from None
        how = "send an API key as 'Authorization: Bearer <key>' (ask the hub's admin for one)"
        ended = request.cookies.get(COOKIE)  # a session that ended says so first
        raise HTTPException(401, f"{exc.detail}, or {how}" if ended else how, headers=_BEARER) from None
    return Caller(principal.username, frozenset(Scope), None if principal.is_admin else principal.sites)


CallerDep = Annotated[Caller, Depends(feed_caller)]
