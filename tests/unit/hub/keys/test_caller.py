"""Caller: what a key or session may read, decided in one place for every feed and report."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from hub.keys import Caller, Scope

DALFSEN = Caller("Gemeente Dalfsen", frozenset({Scope.VOLUMES_READ}), frozenset({"dalfsen"}), key_id="abcd1234")
ADMIN = Caller("beheerder", frozenset(Scope), None)


def test_require_a_scope() -> None:
    DALFSEN.require(Scope.VOLUMES_READ)
    with pytest.raises(HTTPException) as caught:
        DALFSEN.require(Scope.REPORTS_READ)
    assert (caught.value.status_code, caught.value.detail) == (403, "this key lacks scope 'reports:read'")
    ADMIN.require(Scope.REPORTS_READ)


def test_allowed_sites_of_a_scoped_caller() -> None:
    assert DALFSEN.allowed_sites(None) == {"dalfsen"}
    assert DALFSEN.allowed_sites(["dalfsen"]) == {"dalfsen"}
    assert DALFSEN.allowed_sites(()) == frozenset()  # empty reads nothing, never everything
    for asked in (["ommen"], ["dalfsen", "ommen"], {"zwolle", "ommen"}):
        with pytest.raises(HTTPException) as caught:
            DALFSEN.allowed_sites(asked)
        assert caught.value.status_code == 403
        assert "not one of this key's sites" in str(caught.value.detail) and "dalfsen" not in str(caught.value.detail)


def test_allowed_sites_of_an_admin_and_a_supervisor() -> None:
    assert ADMIN.allowed_sites(None) is None
    assert ADMIN.allowed_sites(["ommen", "kampen"]) == {"ommen", "kampen"}
    supervisor = Caller("jan", frozenset(Scope), frozenset({"ommen"}))
    with pytest.raises(HTTPException, match="not one of your sites: zwolle"):
        supervisor.allowed_sites(["zwolle"])
