"""The InfluxDB v1 HTTP API: ``/write`` with line protocol and ``/query`` with InfluxQL.

InfluxDB 1.x serves these natively, 2.x and 3.x through their v1 compatibility endpoints, so this one client
reaches all three. 1.x authenticates with a user name and password, 2.x/3.x with a token
(``Authorization: Token ...``). influxdb-client's v2 write API is not used: 1.x has no ``/api/v2/write``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import httpx

from config.influx import InfluxSettings

logger = logging.getLogger(__name__)


# A 4xx means InfluxDB refused what was sent (a line it cannot parse, a field type conflict, a time it cannot
# hold, a body too large): the same request gets the same answer. Except these: 408 and 429 pass with time,
# and 401, 403 and 404 are about the hub's own access (a rotated token, a database not made yet), not about the
# data; an operator fixes them, so they are retried loudly instead of dead-lettering every event.
RETRIED_CLIENT_STATUSES = frozenset({401, 403, 404, 408, 429})
# Errors InfluxDB reports inside a 200 answer that pass with time (query limits), unlike a refused statement.
_TRANSIENT_QUERY_ERRORS = ("timeout", "max-concurrent-queries", "too many")


class InfluxError(RuntimeError):
    """``retryable``: network trouble, timeouts, 5xx, 429 and access errors; not (``refused``): InfluxDB refused
    the request itself (400, 413, 422, or an error in the answer to a statement). Only the first kind is worth
    retrying."""

    def __init__(self, message: str, status: int | None = None, *, refused: bool | None = None) -> None:
        super().__init__(message)
        self.status = status
        if refused is None:
            refused = status is not None and 400 <= status < 500 and status not in RETRIED_CLIENT_STATUSES
        self.refused = refused

    @property
    def retryable(self) -> bool:
        """Server errors and network trouble are worth retrying; a refusal of the request (bad data) is not."""
        return not self.refused


Series = dict[str, Any]


class InfluxV1:
    def __init__(self, settings: InfluxSettings) -> None:
        self.settings = settings
        headers = {}
        auth: tuple[str, str] | None = None
        if settings.token is not None:
            headers["Authorization"] = f"Token {settings.token.get_secret_value()}"
        elif settings.username:
            auth = (settings.username, settings.password.get_secret_value() if settings.password else "")
        self._http = httpx.Client(base_url=settings.url, headers=headers, auth=auth, timeout=settings.timeout_s)

    def close(self) -> None:
        self._http.close()

    def ping(self) -> bool:
        try:
            return self._http.get("/ping").status_code == 204
        except httpx.HTTPError:
            return False

    def ensure_database(self) -> None:
        """CREATE DATABASE (idempotent on 1.x). On 2.x/3.x the bucket and its DBRP mapping are made by an admin."""
        try:
            self._post_query(f'CREATE DATABASE "{self.settings.database}"')
        except InfluxError as exc:
            logger.warning("could not create database %s (%s); assuming it exists", self.settings.database, exc)

    def ensure(self, statement: str) -> None:
        """Run a CREATE statement, accepting that the thing may exist already or be made by an admin
        (InfluxDB 2.x/3.x: retention policies are buckets mapped with DBRP, not InfluxQL)."""
        try:
            self._post_query(statement.format(database=self.settings.database))
        except InfluxError as exc:
            logger.warning("%s: %s; assuming it exists", statement.split(" ON ", maxsplit=1)[0], exc)

    def write(self, lines: Iterable[str]) -> None:
        body = "\n".join(lines).encode()
        if not body:
            return
        params = {"db": self.settings.database, "precision": "ns"}
        if self.settings.retention_policy:
            params["rp"] = self.settings.retention_policy
        try:
            response = self._http.post("/write", params=params, content=body)
        except httpx.HTTPError as exc:  # network, timeouts: retryable
            raise InfluxError(f"write failed: {exc}") from exc
        if response.status_code != 204:
            raise InfluxError(f"write returned {response.status_code}: {response.text[:300]}", response.status_code)

    def query(self, influxql: str) -> list[Series]:
        """Run one read statement; return its series (each with name, tags, columns, values)."""
        params = {"db": self.settings.database, "q": influxql, "epoch": "ms"}
        try:
            response = self._http.get("/query", params=params)
        except httpx.HTTPError as exc:
            raise InfluxError(f"query failed: {exc}") from exc
        series: list[Series] = self._results(response)[0].get("series", [])
        return series

    def execute(self, influxql: str) -> None:
        """Run a statement that changes something (SELECT ... INTO, CREATE ...): a POST, as 1.x requires."""
        self._post_query(influxql, {"db": self.settings.database})

    def _post_query(self, influxql: str, params: dict[str, str] | None = None) -> None:
        try:
            response = self._http.post("/query", params=params, data={"q": influxql})
        except httpx.HTTPError as exc:
            raise InfluxError(f"query failed: {exc}") from exc
        self._results(response)

    @staticmethod
    def _results(response: httpx.Response) -> list[dict[str, Any]]:
        if response.status_code != 200:
            raise InfluxError(f"query returned {response.status_code}: {response.text[:300]}", response.status_code)
        try:
            answer = response.json()
        except ValueError:
            # Not InfluxDB's answer (a proxy's page, a cut connection): something in between, worth retrying.
            raise InfluxError(
                f"query answer is not JSON: {response.text[:100]!r}", response.status_code, refused=False
            ) from None
        results: list[dict[str, Any]] = answer.get("results", []) if isinstance(answer, dict) else []
        for result in results:
            if "error" in result:
                error = str(result["error"])
                # A statement InfluxDB refused (a time it cannot hold, a parse error) fails the same way again.
                transient = any(marker in error for marker in _TRANSIENT_QUERY_ERRORS)
                raise InfluxError(f"query error: {error}", response.status_code, refused=not transient)
        return results or [{}]
