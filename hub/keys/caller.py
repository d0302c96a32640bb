"""Who is asking a feed or report, and what they may read: one shape for API keys and dashboard sessions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from fastapi import HTTPException


class Scope(StrEnum):
    VOLUMES_READ = "volumes:read"  # the aggregated volume feed
    REPORTS_READ = "reports:read"  # the BKN, UPV Textiel, CBS and CO2e reports


@dataclass(frozen=True, slots=True)
class Caller:
    name: str  # the key's label (or id), or the user name of a session: for logs
    scopes: frozenset[Scope]
    sites: frozenset[str] | None  # None: every site (an admin)
    key_id: str | None = None  # the API key's id; None for a dashboard session

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise HTTPException(403, f"this key lacks scope {scope.value!r}")

    def allowed_sites(self, requested: Collection[str] | None) -> frozenset[str] | None:
        """The sites a request may read: what it asked for, when all of it is the caller's.

        ``None`` asks for no site in particular: the caller's own sites (``None`` again for every site). An
        empty collection reads nothing, never everything: a municipality without sites must not widen a query.
        Asking for any site outside the caller's is 403 for the whole request, not a silent trim, so a key
        holder learns nothing about other sites' volumes, not even that they are empty."""
        if requested is None:
            return self.sites
        chosen = frozenset(requested)
        if self.sites is not None:
            outside = sorted(chosen - self.sites)
            if outside:
                whose = "this key's" if self.key_id else "your"
                raise HTTPException(403, f"not one of {whose} sites: {', '.join(outside)}")
        return chosen
