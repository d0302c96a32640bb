"""Logins against the hub's real app: sessions, cookie flags, the rate limit, and what each role may see.

A supervisor of one site must not see another site's stations or numbers through the API: the data comes
from real events stored by the real ingest in InfluxDB, for three sites.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.routing import BaseRoute, Route

from hub.api.app import create_app
from hub.api.deps import Role
from hub.auth.logins import Logins
from hub.auth.ratelimit import LoginLimiter
from hub.auth.store import RENEW_AFTER_S, UserStore
from hub.auth.web import COOKIE
from hub.service import Hub
from sortcentre.infra import MosquittoServer
from sortcentre.mqtt import MqttClient, MqttSettings
from sortcentre.wire import TopicKind, topic
from tests.conftest import make_event, unique, wait_until
from tests.integration.conftest import logged_in, stored_count
from tests.unit.hub.auth.conftest import Clock

PASSWORD = "correct horse battery"
# What a request without a session may reach (the contract); every other route must answer 401 or, for the
# page, send the browser to /login.
ANONYMOUS = {
    ("GET", "/api/v1/health"),
    ("GET", "/login"),
    ("POST", "/api/v1/login"),
    # The feed's documentation: no data in it (its answers need a key; tests/integration/test_feeds.py).
    ("GET", "/api/v1/feeds/openapi.json"),
    ("GET", "/api/v1/feeds/docs"),
}


def cookie_of(response: httpx.Response) -> SimpleCookie:
    cookies = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookies.load(header)
    return cookies


def test_login_me_logout_and_the_cookie(hub: Hub) -> None:
    hub.logins.users.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle", "ommen"])
    api = TestClient(create_app(hub.state))
    assert api.get("/api/v1/me").status_code == 401

    wrong = api.post("/api/v1/login", json={"username": "jan", "password": "not the password"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": "wrong user name or password"}
    assert "set-cookie" not in wrong.headers
    unknown = api.post("/api/v1/login", json={"username": "piet", "password": PASSWORD})
    assert unknown.status_code == 401 and unknown.json() == wrong.json()  # no hint which names exist
    assert api.post("/api/v1/login", json={"username": "jan"}).status_code == 422

    ok = api.post("/api/v1/login", json={"username": "  Jan ", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.json() == {"username": "jan", "role": "supervisor", "sites": ["ommen", "zwolle"], "all_sites": False}
    cookie = cookie_of(ok)[COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # auth.secure_cookies is off by default (plain HTTP on a site network)
    assert cookie["max-age"] == str(7 * 86_400)
    token = cookie.value
    assert api.get("/api/v1/me").json() == ok.json()

    out = api.post("/api/v1/logout")
    assert out.status_code == 204
    cleared = cookie_of(out)[COOKIE]
    assert cleared.value in {"", '""'} and cleared["max-age"] == "0"
    assert api.get("/api/v1/me").status_code == 401
    # The session is gone on the hub, not only from this browser: the old token is worth nothing.
    replay = TestClient(create_app(hub.state), cookies={COOKIE: token})
    assert replay.get("/api/v1/me").status_code == 401


def test_secure_cookies_and_the_admin_view_of_me(hub: Hub) -> None:
    settings = hub.settings.auth.model_copy(update={"secure_cookies": True})
    state = dataclasses.replace(hub.state, logins=Logins.from_settings(settings))
    hub.logins.users.add("boss", PASSWORD, Role.ADMIN)
    api = TestClient(create_app(state), base_url="https://testserver")
    ok = api.post("/api/v1/login", json={"username": "boss", "password": PASSWORD})
    assert ok.json() == {"username": "boss", "role": "admin", "sites": [], "all_sites": True}
    assert cookie_of(ok)[COOKIE]["secure"] is True
    assert api.get("/api/v1/me").json()["all_sites"] is True


def test_the_sixth_failure_in_a_row_gets_429_with_retry_after(hub: Hub) -> None:
    hub.logins.users.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    api = TestClient(create_app(hub.state))
    for _ in range(5):
        assert api.post("/api/v1/login", json={"username": "jan", "password": "a wrong guess"}).status_code == 401
    blocked = api.post("/api/v1/login", json={"username": "jan", "password": PASSWORD})  # even the right one
    assert blocked.status_code == 429 and "too many" in blocked.json()["detail"]
    assert 0 < int(blocked.headers["retry-after"]) <= hub.settings.auth.login_window_s
    # The same address trying another name is held back as well.
    hub.logins.users.add("piet", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    assert api.post("/api/v1/login", json={"username": "piet", "password": PASSWORD}).status_code == 429


def every_route(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    """Each endpoint, also inside included routers (FastAPI 0.16x keeps those as one lazy entry each).
    Mounts (the static files: scripts, styles and pictograms, no data) are left out."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from every_route(router.routes)


def test_every_route_needs_a_session(hub: Hub) -> None:
    app = create_app(hub.state)
    anonymous = TestClient(app)
    stranger = TestClient(app, cookies={COOKIE: "made-up-token"})
    found = set()
    routes = list(every_route(app.routes))
    assert len(routes) >= 10
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in sorted(route.methods or ()):
            if (method, route.path) in ANONYMOUS:
                found.add((method, route.path))
                continue
            for client in (anonymous, stranger):
                answer = client.request(method, path, follow_redirects=False)
                if route.path == "/":
                    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/"
                else:
                    assert answer.status_code == 401, f"{method} {route.path}: {answer.status_code}"
                    assert "detail" in answer.json()
    assert found == ANONYMOUS
    assert anonymous.get("/api/v1/health").status_code == 200
    page = anonymous.get("/login")
    assert page.status_code == 200 and "Wachtwoord" in page.text and "Password" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert anonymous.get("/static/login.html").status_code == 200
    assert anonymous.get("/docs").status_code == 404  # Swagger UI would load from a CDN
    assert logged_in(hub).get("/api/v1/openapi.json").json()["info"]["title"] == "Sortcentre hub"


def test_sessions_slide_and_the_cookie_follows(hub: Hub) -> None:
    clock = Clock()
    settings = hub.settings.auth
    users = UserStore(hub.settings.auth.users_file, settings.session_idle_days * 86_400, clock=clock)
    logins = Logins(settings, users, LoginLimiter(5, 900))
    users.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    api = TestClient(create_app(dataclasses.replace(hub.state, logins=logins)))
    token = cookie_of(api.post("/api/v1/login", json={"username": "jan", "password": PASSWORD}))[COOKIE].value

    assert "set-cookie" not in api.get("/api/v1/me").headers  # nothing moved yet
    clock.now += 6 * 86_400
    renewed = api.get("/api/v1/me")
    assert cookie_of(renewed)[COOKIE].value == token and cookie_of(renewed)[COOKIE]["max-age"] == str(7 * 86_400)
    clock.now += 6 * 86_400  # 12 days after the login, 6 after the last request
    page = api.get("/", follow_redirects=False)  # a file response: the renewal still reaches the browser
    assert page.status_code == 200 and cookie_of(page)[COOKIE].value == token
    clock.now += RENEW_AFTER_S * 2
    out = api.post("/api/v1/logout")
    assert out.status_code == 204 and len(out.headers.get_list("set-cookie")) == 1  # cleared, not renewed again
    assert cookie_of(out)[COOKIE]["max-age"] == "0"

    api.cookies.set(COOKIE, users.open_session("jan"))
    clock.now += 7 * 86_400 + 1  # a week without a request
    assert api.get("/api/v1/me").status_code == 401
    assert api.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


@pytest.fixture
def three_sites(mosquitto: MosquittoServer, hub: Hub) -> None:
    """One event each at zwolle, ommen and dalfsen, stored and seen by the live view."""
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("station"))
    client.start()
    assert client.wait_connected(10)
    events = [
        make_event(1, site="zwolle", station="zwolle-plastic-1", category="pp", weight_kg=0.5),
        make_event(1, site="ommen", station="ommen-textile-1", stream="textile", category="creme", weight_kg=0.8),
        make_event(1, site="dalfsen", station="dalfsen-plastic-1", category="pet", weight_kg=1.5),
    ]
    for event in events:
        client.publish(topic(event.site, event.station, TopicKind.EVENT), event.to_json(), qos=1)
    assert wait_until(lambda: stored_count(hub) == 3, 20)
    client.stop()
    ours = {event.station for event in events}  # other tests' stations may be known too (retained status)
    assert wait_until(lambda: ours <= {view["station"] for view in hub.live.snapshot()}, 10)


def test_a_supervisor_sees_only_their_own_sites(hub: Hub, three_sites: None) -> None:
    zwolle = logged_in(hub, Role.SUPERVISOR, ["zwolle"])
    two_sites = logged_in(hub, Role.SUPERVISOR, ["zwolle", "ommen"])
    admin = logged_in(hub)

    def stations(api: TestClient, **params: str) -> set[str]:
        answer = api.get("/api/v1/stations", params=params)
        assert answer.status_code == 200, answer.text
        return {view["site"] for view in answer.json()}

    def throughput(api: TestClient, **params: str) -> set[str]:
        answer = api.get("/api/v1/throughput", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return {row["site"] for row in body["rows"]} | {total["site"] for total in body["stations"]}

    assert stations(zwolle) == {"zwolle"}
    assert stations(zwolle, site="zwolle") == {"zwolle"}
    assert stations(two_sites) == {"zwolle", "ommen"}
    assert stations(admin) == {"zwolle", "ommen", "dalfsen"}
    assert throughput(zwolle) == {"zwolle"}
    assert throughput(zwolle, period="week") == {"zwolle"}
    assert throughput(two_sites) == {"zwolle", "ommen"}
    assert throughput(two_sites, site="ommen") == {"ommen"}
    assert throughput(admin) == {"zwolle", "ommen", "dalfsen"}
    assert throughput(admin, site="dalfsen") == {"dalfsen"}
    kg = {r["station"]: r["kg"] for r in two_sites.get("/api/v1/throughput").json()["stations"]}
    assert kg == {"zwolle-plastic-1": 0.5, "ommen-textile-1": 0.8}

    for path in ("/api/v1/stations", "/api/v1/throughput"):
        for site in ("ommen", "dalfsen", "nowhere"):
            refused = zwolle.get(path, params={"site": site})
            assert refused.status_code == 403 and refused.json() == {"detail": f"site {site!r} is not one of yours"}
        assert two_sites.get(path, params={"site": "dalfsen"}).status_code == 403


def test_operations_endpoints_are_for_admins_and_prometheus(hub: Hub) -> None:
    supervisor = logged_in(hub, Role.SUPERVISOR, ["zwolle"])
    admin = logged_in(hub)
    assert supervisor.get("/api/v1/admin/dead-letters").status_code == 403
    assert admin.get("/api/v1/admin/dead-letters").json() == {"counts": {}, "latest": []}
    assert supervisor.get("/metrics").status_code == 403
    assert "sortcentre_events_stored_total" in admin.get("/metrics").text
    # No token configured: a bearer header gets nobody in.
    assert admin.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 401

    secret = "prometheus-" + unique("token")
    settings = hub.settings.auth.model_copy(update={"metrics_token": SecretStr(secret)})
    app = create_app(dataclasses.replace(hub.state, logins=Logins.from_settings(settings)))
    scraper = TestClient(app)
    assert scraper.get("/metrics").status_code == 401
    assert scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert scraper.get("/metrics", headers={"Authorization": f"Basic {secret}"}).status_code == 401
    scraped = scraper.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert scraped.status_code == 200 and "sortcentre_events_stored_total" in scraped.text
    assert scraper.get("/api/v1/stations", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert logged_in(hub, client=TestClient(app)).get("/metrics").status_code == 200  # admins still may
