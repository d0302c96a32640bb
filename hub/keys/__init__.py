"""API keys for partners' systems (ROVA, the municipalities): scopes, sites, hashing and a per-key rate limit.

The names are loaded on first use: ``sortcentre`` imports ``hub.keys.cli`` at start, and a station's command
must not pay for FastAPI (which ``Caller`` needs for its HTTP errors).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.keys.caller import Caller, Scope
    from hub.keys.store import ApiKey, KeyStore, KeyStoreError
    from hub.keys.web import CallerDep, feed_caller

_WHERE = {
    "ApiKey": "hub.keys.store",
    "Caller": "hub.keys.caller",
    "CallerDep": "hub.keys.web",
    "KeyStore": "hub.keys.store",
    "KeyStoreError": "hub.keys.store",
    "Scope": "hub.keys.caller",
    "feed_caller": "hub.keys.web",
}

__all__ = ["ApiKey", "Caller", "CallerDep", "KeyStore", "KeyStoreError", "Scope", "feed_caller"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
