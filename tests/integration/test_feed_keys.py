"""``CallerDep`` in a real FastAPI app: API keys and dashboard sessions become Callers with the right reach.

The app is built here with a small probe router (the feeds and reports use the same dependency); keys and
users live in SQLite files of the test, sessions are opened the way the login endpoint opens them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from config.hub import AuthSettings
from hub.auth.logins import Logins
from hub.auth.principal import Role
from hub.auth.web import COOKIE
from hub.keys import CallerDep, KeyStore, Scope
from hub.keys.ratelimit import TokenBucket
from hub.reference import load_reference
from tests.unit.hub.auth.conftest import Clock, cheap

router = APIRouter()


@router.get("/probe")
def probe(caller: CallerDep) -> dict[str, Any]:
    return {"name": caller.name, "sites": None if caller.sites is None else sorted(caller.sites)}


@router.get("/probe/reports")
def probe_reports(caller: CallerDep, site: str | None = None) -> dict[str, Any]:
    caller.require(Scope.REPORTS_READ)
    allowed = caller.allowed_sites([site] if site else None)
    return {"name": caller.name, "sites": None if allowed is None else sorted(allowed)}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = FastAPI()
    application.include_router(router)
    logins = Logins.from_settings(AuthSettings(users_file=tmp_path / "users.sqlite"), cheap())
    application.state.logins = logins  # as hub.api.app.create_app sets them
    application.state.users = logins.users
    application.state.reference = load_reference(None)
    # A frozen clock: the 21 requests of the rate-limit test count as "at once" however slow the machine is.
    application.state.keys = KeyStore(tmp_path / "keys.sqlite", TokenBucket(60, 20, Clock(0.0)))
    yield application


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def keys(app: FastAPI) -> KeyStore:
    store: KeyStore = app.state.keys
    return store


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def session(app: FastAPI, client: TestClient, role: Role, sites: tuple[str, ...] = ()) -> None:
    app.state.users.add(f"{role.value}1", "correct horse battery", role, sites)
    client.cookies.set(COOKIE, app.state.users.open_session(f"{role.value}1"))


def test_a_key_reads_its_own_sites(app: FastAPI, client: TestClient) -> None:
    _, secret = keys(app).create(["volumes:read"], sites=["ommen", "zwolle"], label="ROVA")
    answer = client.get("/probe", headers=bearer(secret))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"name": "ROVA", "sites": ["ommen", "zwolle"]}


def test_a_municipality_key_reads_the_municipality_sites(app: FastAPI, client: TestClient) -> None:
    _, secret = keys(app).create(["volumes:read", "reports:read"], municipalities=["dalfsen"])
    assert client.get("/probe", headers=bearer(secret)).json()["sites"] == ["dalfsen"]
    assert client.get("/probe/reports?site=dalfsen", headers=bearer(secret)).json()["sites"] == ["dalfsen"]
    # Ommen's volumes are not Dalfsen's to read, whatever the request asks for.
    answer = client.get("/probe/reports?site=ommen", headers=bearer(secret))
    assert answer.status_code == 403 and "ommen" in answer.json()["detail"]


def test_revoked_unknown_and_malformed_keys_get_401(app: FastAPI, client: TestClient) -> None:
    key, secret = keys(app).create(["volumes:read"], sites=["ommen"])
    assert client.get("/probe", headers=bearer(secret)).status_code == 200
    keys(app).revoke(key.id)
    answer = client.get("/probe", headers=bearer(secret))
    assert (answer.status_code, answer.json()["detail"]) == (401, "this API key was revoked")
    assert answer.headers["www-authenticate"] == "Bearer"
    for header in (
        f"Bearer sck_{key.id}_{'x' * 43}",  # the id of a real key with a made-up secret
        "Bearer sck_zzzzzzzz_" + "y" * 43,
        "Bearer nonsense",
        f"Basic {secret}",
        "Bearer",
    ):
        answer = client.get("/probe", headers={"Authorization": header})
        assert answer.status_code == 401, (header, answer.text)
    assert client.get("/probe").status_code == 401  # nothing at all


def test_a_key_without_the_scope_gets_403(app: FastAPI, client: TestClient) -> None:
    _, secret = keys(app).create(["volumes:read"], sites=["ommen"])
    assert client.get("/probe", headers=bearer(secret)).status_code == 200
    answer = client.get("/probe/reports", headers=bearer(secret))
    assert (answer.status_code, answer.json()["detail"]) == (403, "this key lacks scope 'reports:read'")


def test_the_21st_quick_request_gets_429_with_retry_after(app: FastAPI, client: TestClient) -> None:
    _, secret = keys(app).create(["volumes:read"], sites=["ommen"])
    _, other = keys(app).create(["volumes:read"], sites=["ommen"])
    statuses = [client.get("/probe", headers=bearer(secret)).status_code for _ in range(20)]
    assert statuses == [200] * 20
    answer = client.get("/probe", headers=bearer(secret))
    assert answer.status_code == 429 and answer.headers["retry-after"] == "1"
    assert "try again in 1 s" in answer.json()["detail"]
    assert client.get("/probe", headers=bearer(other)).status_code == 200  # each key has its own bucket


def test_an_admin_session_reads_every_site(app: FastAPI, client: TestClient) -> None:
    session(app, client, Role.ADMIN)
    assert client.get("/probe").json() == {"name": "admin1", "sites": None}
    assert client.get("/probe/reports?site=kampen").json()["sites"] == ["kampen"]


def test_a_supervisor_session_reads_their_own_sites(app: FastAPI, client: TestClient) -> None:
    session(app, client, Role.SUPERVISOR, ("ommen", "staphorst"))
    assert client.get("/probe").json() == {"name": "supervisor1", "sites": ["ommen", "staphorst"]}
    assert client.get("/probe/reports").status_code == 200  # people have both scopes
    assert client.get("/probe/reports?site=zwolle").status_code == 403


def test_a_bad_key_is_refused_even_with_a_session(app: FastAPI, client: TestClient) -> None:
    """A request that shows a key is judged by the key: a browser's cookie does not rescue a wrong one."""
    session(app, client, Role.ADMIN)
    assert client.get("/probe", headers=bearer("sck_zzzzzzzz_" + "y" * 43)).status_code == 401


def test_an_ended_session_gets_401(app: FastAPI, client: TestClient) -> None:
    client.cookies.set(COOKIE, "not-a-session")
    answer = client.get("/probe")
    assert answer.status_code == 401 and "session" in answer.json()["detail"]
