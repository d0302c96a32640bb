"""Who is uploading: a station's bearer token names the station and its site.

The hub's station registry answers this (``StationRegistry.station_for_token``); the capture endpoint only needs a
callable from token to identity, so it can be tested without the registry and wired to it in one line.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol


class Uploader(Protocol):
    """What the endpoint needs to know of the station behind a token (the registry's own record will do)."""

    @property
    def station(self) -> str: ...

    @property
    def site(self) -> str: ...


@dataclass(frozen=True, slots=True)
class StationIdentity:
    station: str
    site: str


# A bearer token -> the station it belongs to, or None for a token nobody issued (or one that was revoked).
TokenCheck = Callable[[str], Uploader | None]


class StaticTokens:
    """A fixed token -> station table (tests, a hub without a registry). Compares in constant time."""

    def __init__(self, tokens: Mapping[str, StationIdentity]) -> None:
        self._tokens = dict(tokens)

    def __call__(self, token: str) -> StationIdentity | None:
        found = None
        for known, identity in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = identity
        return found
