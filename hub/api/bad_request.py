"""A parameter the partner API cannot read (the volume feed, the reports) is answered 400 with one plain
sentence that names it: ``query parameter 'to' is missing: give a date as YYYY-MM-DD``. Not FastAPI's 422 with
pydantic's list of errors, which a partner's script or an analyst in a browser cannot act on.

Only the partner API's routes (``PARTNER_PREFIXES``) answer this way: the dashboard's own routes keep FastAPI's
422, which the pages read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

PARTNER_PREFIXES = ("/api/v1/feeds/", "/api/v1/reports/")
# A value echoed back is cut to this: the answer must not grow with what was sent.
MAX_ECHO = 40

# What a parameter of each kind should look like, for the sentence (pydantic's error type -> hint).
_HINTS = {
    "date_from_datetime_parsing": "give a date as YYYY-MM-DD",
    "date_parsing": "give a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "give a date as YYYY-MM-DD",
    "date_type": "give a date as YYYY-MM-DD",
    "int_parsing": "give a whole number",
    "int_from_float": "give a whole number",
    "string_pattern_mismatch": "use lowercase letters, digits and '-'",
}


def _echo(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "…")


def _sentence(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    where, name = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("request", ".".join(loc) or "?")
    noun = {"query": "query parameter", "path": "path parameter", "header": "header"}.get(where, where)
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "missing":
        hint = _HINTS["date_parsing"] if name in ("from", "to") else ""
        return f"{noun} '{name}' is missing" + (f": {hint}" if hint else "")
    if kind == "enum" and "expected" in context:
        why = f"must be one of {context['expected']}"
    elif kind in _HINTS:
        why = f"is not valid: {_HINTS[kind]}"
    else:
        message = str(error.get("msg", "is not valid"))
        why = "is not valid: " + message[:1].lower() + message[1:]
    return f"{noun} '{name}' {why} (got {_echo(error.get('input'))})"


def describe(errors: Sequence[Any]) -> str:
    """The first problem as one sentence, and how many more there are."""
    if not errors:
        return "the request's parameters are not valid"
    more = len(errors) - 1
    return _sentence(dict(errors[0])) + (f"; and {more} more problem(s)" if more else "")


async def _handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not request.url.path.startswith(PARTNER_PREFIXES):
        return await request_validation_exception_handler(request, exc)
    return JSONResponse({"detail": describe(exc.errors())}, status_code=400)


def without_422(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with FastAPI's 422 taken out of the partner routes, which answer 400 instead (in place)."""
    for path, operations in schema.get("paths", {}).items():
        if path.startswith(PARTNER_PREFIXES):
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
    return schema


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _handler)
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        return without_422(plain())

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to change the schema
