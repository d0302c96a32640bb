"""Who is asking, once logged in: a person's role and the sites they may see (docs/users.md).

The hub's own model of a logged-in person, shared by the user store (``hub.auth.store``), the session cookie
(``hub.auth.web``) and the routers (``hub.api.deps.UserDep``), so none of them needs the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fastapi import HTTPException


class Role(StrEnum):
    ADMIN = "admin"  # every site, and the operational endpoints
    SUPERVISOR = "supervisor"  # only the sites in ``sites``


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    role: Role
    sites: frozenset[str] = frozenset()  # a supervisor's sites; ignored for an admin

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_see(self, site: str) -> bool:
        return self.is_admin or site in self.sites

    def scope(self, site: str | None) -> frozenset[str] | None:
        """The sites a request may read: None means every site (an admin asking for no site in particular).

        A site outside the person's own is answered with 403, so a supervisor of site A learns nothing
        about site B, not even whether it exists beyond that it is not theirs."""
        if site is not None:
            if not self.can_see(site):
                raise HTTPException(403, f"site {site!r} is not one of yours")
            return frozenset({site})
        return None if self.is_admin else self.sites
