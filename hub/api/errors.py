"""The HTTP answers every router gives the same way: a range it cannot answer, and the time-series store's two
kinds of failure.

A store that cannot be reached (network trouble, its own 5xx, a 429) is 503: the request was fine, try later.
A store that is up and refuses the query (a 4xx, or an error inside a 200 answer) is 400: asking again gets
the same refusal, so a "try again later" would be a lie. Both are logged at warning with InfluxDB's reason;
a refusal's answer does not repeat it (it quotes our query and the database, which a partner has no use for).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel

from hub.feeds.ranges import RangeError
from hub.storage.influx_v1 import InfluxError

logger = logging.getLogger(__name__)

# InfluxDB's own message can be long (it may quote the query): the answer keeps its start.
MAX_REASON = 200


class ErrorOut(BaseModel):
    detail: str


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# The error answers of the routers that read the store, for their OpenAPI (FastAPI adds 422 itself).
STORE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("a parameter or range the hub cannot answer, or a query the time-series store refused"),
    401: _error("not logged in, or the session has ended"),
    403: _error("a site that is not one of yours"),
    503: _error("the time-series store cannot be reached: try again later"),
}


def range_error(exc: RangeError) -> HTTPException:
    return HTTPException(400, str(exc))


def store_error(exc: InfluxError) -> HTTPException:
    """The answer to a failed read of the store (raise it ``from None``)."""
    if exc.retryable:
        logger.warning("time-series store unavailable: %s", exc)
        return HTTPException(503, f"time-series store unavailable: {str(exc)[:MAX_REASON]}")
    logger.warning("time-series store refused a query: %s", exc)
    return HTTPException(
        400,
        "the time-series store refused the query for this request (the hub's log says why): change the range "
        "or parameters",
    )
