"""Logging in and out: the login page, POST /api/v1/login and /logout, GET /api/v1/me (docs/users.md)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from core.package_data import data_path
from hub.api.deps import UserDep
from hub.api.errors import ErrorOut
from hub.auth.passwords import MAX_LENGTH
from hub.auth.principal import Principal, Role
from hub.auth.web import (
    COOKIE,
    RENEW,
    clear_session_cookie,
    client_address,
    logins_of,
    set_session_cookie,
)

logger = logging.getLogger(__name__)
router = APIRouter()

LOGIN_PAGE = data_path("hub", "web", "static", "login.html")
# The login page must not be framed by another site (clickjacking a password field) nor cached.
PAGE_HEADERS = {"Content-Security-Policy": "frame-ancestors 'none'", "Cache-Control": "no-store"}


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class MeOut(BaseModel):
    username: str
    role: Role
    sites: list[str] = Field(description="a supervisor's sites; empty for an admin, who sees every site")
    all_sites: bool


def me_out(user: Principal) -> MeOut:
    return MeOut(username=user.username, role=user.role, sites=sorted(user.sites), all_sites=user.is_admin)


@router.get("/login", include_in_schema=False)
def login_page() -> FileResponse:
    return FileResponse(LOGIN_PAGE, headers=PAGE_HEADERS)


@router.post(
    "/api/v1/login",
    tags=["auth"],
    responses={
        400: {"model": ErrorOut, "description": "a body that is not JSON"},
        401: {"model": ErrorOut, "description": "wrong user name or password"},
        403: {"model": ErrorOut, "description": "sent from a page that is not the hub's own (Origin)"},
        429: {"model": ErrorOut, "description": "too many failed logins: wait Retry-After seconds"},
    },
)
def login(body: LoginIn, request: Request, response: Response) -> MeOut:
    logins = logins_of(request)
    username = body.username.strip().lower()
    address = client_address(request)
    wait = logins.limiter.retry_after(username, address)
    if wait is not None:
        raise HTTPException(429, f"too many failed logins: try again in {wait} s", headers={"Retry-After": str(wait)})
    user = logins.users.authenticate(username, body.password)
    if user is None:
        logins.limiter.failed(username, address)
        logger.warning("failed login as %r from %s", username, address)
        raise HTTPException(401, "wrong user name or password")
    logins.limiter.succeeded(username, address)
    earlier = request.cookies.get(COOKIE)
    if earlier:  # a login always starts a new session: an old token planted in the browser is worth nothing
        logins.users.close_session(earlier)
    set_session_cookie(response, logins.users.open_session(user.username), logins.settings)
    logger.info("%s logged in from %s", user.username, address)
    return me_out(user.principal)


@router.post(
    "/api/v1/logout",
    tags=["auth"],
    status_code=204,
    responses={
        401: {"model": ErrorOut, "description": "not logged in"},
        403: {"model": ErrorOut, "description": "sent from a page that is not the hub's own (Origin)"},
    },
)
def logout(user: UserDep, request: Request) -> Response:
    logins = logins_of(request)
    logins.users.close_session(request.cookies.get(COOKIE, ""))
    setattr(request.state, RENEW, None)  # the renewal would otherwise set the cookie we are clearing
    response = Response(status_code=204)
    clear_session_cookie(response, logins.settings)
    logger.info("%s logged out", user.username)
    return response


@router.get("/api/v1/me", tags=["auth"], responses={401: {"model": ErrorOut, "description": "not logged in"}})
def me(user: UserDep) -> MeOut:
    return me_out(user)
