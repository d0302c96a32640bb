"""Logins against the hub's real app: sessions, cookie flags, the rate limit, and what each role may see.

A supervisor of one site must not see another site's stations or numbers through the API: the data comes
from real events stored by the real ingest in InfluxDB, for three sites.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.routing import BaseRoute, Route

from config.hub import WebSettings
from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient, end_session
from core.transport.settings import MqttSettings
from hub import service
from hub.api.app import create_app, server_options
from hub.auth.logins import Logins
from hub.auth.principal import Role
from hub.auth.ratelimit import LoginLimiter
from hub.auth.store import RENEW_AFTER_S, UserStore
from hub.auth.web import COOKIE
from hub.feeds.periods import PeriodStore
from hub.service import Hub
from local_servers import InfluxServer, MosquittoServer
from local_servers.fleet import make_event
from local_servers.process import free_port
from tests.conftest import unique, wait_until
from tests.integration.conftest import hub_settings, logged_in, stored_count
from tests.unit.hub.auth.conftest import Clock

PASSWORD = "correct horse battery"
# What a browser showing the hub's own page at TestClient's address sends with a POST.
OWN = {"Origin": "http://testserver"}
# What a request without a session may reach (the contract); every other route must answer 401 or, for the
# page, send the browser to /login.
ANONYMOUS = {
    ("GET", "/api/v1/health"),
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/api/v1/login"),
    # The feed's documentation: no data in it (its answers need a key; tests/integration/test_feeds.py).
    ("GET", "/api/v1/feeds/openapi.json"),
    ("GET", "/api/v1/feeds/docs"),
    ("GET", "/docs"),  # Swagger UI on that schema, its assets served by the hub (tests/browser/test_partner_docs.py)
    # Model bundles for the stations: signed, not secret (docs/fleet.md); the station checks what it gets.
    ("GET", "/api/models/{file}"),
}


def cookie_of(response: httpx.Response) -> SimpleCookie:
    cookies = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookies.load(header)
    return cookies


def test_login_me_logout_and_the_cookie(hub: Hub) -> None:
    hub.logins.users.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle", "ommen"])
    api = TestClient(create_app(hub.state), headers=OWN)
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
    # Another person at the same PC (one address for everyone behind it) still logs in: 429 before, so one
    # person's typos, or anyone who knew a user name, locked out the whole site.
    hub.logins.users.add("piet", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    assert api.post("/api/v1/login", json={"username": "piet", "password": PASSWORD}).status_code == 200


def every_route(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    """Each endpoint, also inside included routers (FastAPI 0.16x keeps those as one lazy entry each).
    Mounts (the static files: scripts, styles and pictograms, no data) are left out."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from every_route(router.routes)


PAGES = {"/", "/stations/{station}/config"}


def test_every_route_needs_a_session(hub: Hub) -> None:
    app = create_app(hub.state)
    anonymous = TestClient(app)
    stranger = TestClient(app, cookies={COOKIE: "made-up-token"}, headers=OWN)
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
                if route.path in PAGES:  # a page a person opens in a browser: the login form, then back here
                    assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={path}"
                else:
                    assert answer.status_code == 401, f"{method} {route.path}: {answer.status_code}"
                    assert "detail" in answer.json()
    assert found == ANONYMOUS
    assert anonymous.get("/api/v1/health").status_code == 200
    page = anonymous.get("/login")
    assert page.status_code == 200 and "Wachtwoord" in page.text and "Password" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert anonymous.get("/static/login.html").status_code == 200
    docs = anonymous.get("/docs")  # Swagger UI, from the hub's own assets: nothing from a CDN
    assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text and "https://" not in docs.text
    assert logged_in(hub).get("/api/v1/openapi.json").json()["info"]["title"] == "Sortcentre hub"


def test_sessions_slide_and_the_cookie_follows(hub: Hub) -> None:
    clock = Clock()
    settings = hub.settings.auth
    users = UserStore(hub.settings.auth.users_file, settings.session_idle_days * 86_400, clock=clock)
    logins = Logins(settings, users, LoginLimiter(5, 900))
    users.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    api = TestClient(create_app(dataclasses.replace(hub.state, logins=logins)), headers=OWN)
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
    assert wait_until(lambda: ours <= {view["station"] for view in hub.live.as_dicts()}, 10)


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


def test_changes_are_accepted_only_from_the_hubs_own_origin(hub: Hub, tmp_path: Path) -> None:
    """SameSite alone before: a POST with the session cookie from any Origin went through."""
    state = dataclasses.replace(hub.state, periods=PeriodStore(tmp_path / "periods.sqlite"))
    admin = logged_in(hub, client=TestClient(create_app(state)))  # a login without Origin (a script) goes on
    foreign: list[dict[str, str]] = [
        {"Origin": "http://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "https://testserver:8443"},  # another port of the same host is another origin
        {"Origin": "null"},  # a sandboxed frame, a data: URL
        {"Referer": "http://evil.example/page.html"},  # no Origin: the Referer's origin counts
        {},  # a session and neither header
    ]
    for headers in foreign:
        refused = admin.post("/api/v1/admin/periods/2020-01/close", headers=headers)
        assert refused.status_code == 403, (headers, refused.text)
        assert "not this hub" in refused.json()["detail"] or "Origin or Referer" in refused.json()["detail"]
        assert admin.post("/api/v1/logout", headers=headers).status_code == 403
    assert state.periods is not None and state.periods.closed() == []  # nothing happened
    assert admin.get("/api/v1/me").status_code == 200
    closed = admin.post("/api/v1/admin/periods/2020-01/close", headers={"Referer": "http://testserver/"})
    assert closed.status_code == 200, closed.text

    # Login CSRF: a foreign page logging the browser in to another account.
    hub.logins.users.add("mallory", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    browser = TestClient(create_app(hub.state))
    login = {"username": "mallory", "password": PASSWORD}
    assert browser.post("/api/v1/login", json=login, headers={"Origin": "http://evil.example"}).status_code == 403
    # A request with a key or token and no session is not a browser's doing: the app judges it (401 here).
    keyed = browser.post("/api/v1/logout", headers={"Authorization": "Bearer x", "Origin": "http://evil.example"})
    assert keyed.status_code == 401

    # With a public URL, that origin (and the address served) is the hub's; the Host header no longer counts.
    settings = hub.settings.model_copy(
        update={"web": WebSettings(public_url="https://hub.example.nl"), "http_host": "10.1.2.3", "http_port": 8080}
    )
    public = logged_in(hub, client=TestClient(create_app(state, settings)))
    assert public.post("/api/v1/admin/periods/2020-02/close", headers=OWN).status_code == 403
    for origin in ("https://hub.example.nl", "http://10.1.2.3:8080"):
        month = "2020-03" if origin.startswith("https") else "2020-04"
        answer = public.post(f"/api/v1/admin/periods/{month}/close", headers={"Origin": origin})
        assert answer.status_code == 200, (origin, answer.text)


class Served:
    """The hub's app in a real uvicorn, started with the options ``run_hub`` gives it."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://{options['host']}:{options['port']}"

    def __enter__(self) -> Served:
        self.thread.start()
        assert wait_until(lambda: self.server.started, 10)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def spray(url: str, names: int, forwarded: bool) -> list[int]:
    """Wrong passwords for ``names`` user names from this one machine, each with a new forged
    X-Forwarded-For when ``forwarded``; then one more try: the statuses."""
    statuses = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for n in range(names + 1):
            headers = {"X-Forwarded-For": f"203.0.113.{n}"} if forwarded else {}
            answer = client.post("/api/v1/login", json={"username": f"user{n}", "password": "a guess"}, headers=headers)
            statuses.append(answer.status_code)
    return statuses


def test_forged_forwarded_for_does_not_get_past_the_login_limit(
    mosquitto: MosquittoServer, influx: InfluxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn as run_hub starts it: before, it believed X-Forwarded-For from 127.0.0.1, so one machine got a
    fresh address, and a fresh count, with every try. Now only web.trusted_proxies are believed."""
    settings = hub_settings(mosquitto, influx).model_copy(update={"http_port": free_port()})
    settings.auth.login_failures_per_address = 10
    seen: list[list[int]] = []

    class SprayedServer(uvicorn.Server):
        """The server run_hub builds, with its own config; sprayed from a second thread once it listens."""

        def run(self, sockets: Any = None) -> None:
            def attack() -> None:
                if wait_until(lambda: self.started, 10):
                    seen.append(spray(f"http://{settings.http_host}:{settings.http_port}", 10, forwarded=True))
                self.should_exit = True

            attacker = threading.Thread(target=attack)
            attacker.start()
            super().run(sockets)
            attacker.join(30)

    monkeypatch.setattr(service.uvicorn, "Server", SprayedServer)
    try:
        service.run_hub(settings)
    finally:
        end_session(settings.mqtt, f"{settings.client_id}-ingest")
    assert seen == [[401] * 10 + [429]]  # the address's 10 failures, whatever it claimed to forward for


def test_a_trusted_proxy_is_believed(hub: Hub) -> None:
    """Behind a configured proxy each forwarded address is counted on its own, so one address's failures hold
    back only that address."""
    settings = hub.settings.model_copy(
        update={"web": WebSettings(trusted_proxies=["127.0.0.1"]), "http_port": free_port()}
    )
    hub.logins.users.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    with Served(create_app(hub.state, settings), server_options(settings)) as served, httpx.Client() as client:
        url = f"{served.url}/api/v1/login"
        for _ in range(5):
            wrong = client.post(url, json={"username": "jan", "password": "typo"}, headers=FROM_A)
            assert wrong.status_code == 401
        assert client.post(url, json={"username": "jan", "password": PASSWORD}, headers=FROM_A).status_code == 429
        other = client.post(url, json={"username": "jan", "password": PASSWORD}, headers=FROM_B)
        assert other.status_code == 200, other.text


FROM_A = {"X-Forwarded-For": "192.0.2.10"}
FROM_B = {"X-Forwarded-For": "192.0.2.11"}


def test_a_body_over_16_kib_is_refused_before_it_is_read(hub: Hub) -> None:
    """Before: the whole body was read into memory (any size) and then refused as a bad login (422)."""
    hub.logins.users.add("jan", PASSWORD, Role.SUPERVISOR, ["zwolle"])
    api = TestClient(create_app(hub.state))
    huge = {"username": "jan", "password": PASSWORD, "padding": "x" * 1_000_000}
    stated = api.post("/api/v1/login", json=huge)
    assert stated.status_code == 413 and "16384 bytes" in stated.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"username": "jan", "password": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    streamed = api.post("/api/v1/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413, streamed.text
    assert api.post("/api/v1/login", json={"username": "jan", "password": PASSWORD}).status_code == 200
