"""Placeholder: the session check, filled in by the dashboard work (issue 6)."""

from __future__ import annotations

from fastapi import HTTPException, Request

from hub.api.deps import Principal


def principal_from_request(request: Request) -> Principal:
    raise HTTPException(401, "log in first")
