"""The admins' fleet page (hub/web/static/fleet.html) in Debian's Chromium, with the hub's answers played by
Playwright's request routing: the registry table in Dutch and English, a station that is only heard of marked as
such, a supervisor told the page is for admins, and the admin's Train and Roll out buttons. The real API is tested
in tests/integration/test_fleet_registry.py and tests/integration/test_learning_api.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from core.package_data import data_path

STATIC = data_path("hub", "web", "static")
HUB = "http://hub.test"

STATIONS: list[dict[str, Any]] = [
    {
        "id": "zwolle-plastic-1",
        "site": "zwolle",
        "stream": "plastic",
        "added_at": "2026-11-20T08:00:00Z",
        "retired_at": None,
        "first_seen": "2026-11-20T08:05:00Z",
        "last_seen": "2026-11-24T09:00:00Z",
        "software_version": "0.6.0",
        "config_version": "7",
        "model_version": "plastics-v3",
        "broker_account": "zwolle-plastic-1",
        "unregistered": False,
        "retired": False,
        "state": "online",
    },
    {
        "id": "zwolle-plastic-9",
        "site": "zwolle",
        "stream": None,
        "added_at": None,
        "retired_at": None,
        "first_seen": "2026-11-24T08:55:00Z",
        "last_seen": "2026-11-24T09:00:00Z",
        "software_version": "0.6.0",
        "config_version": None,
        "model_version": None,
        "broker_account": None,
        "unregistered": True,
        "retired": False,
        "state": "online",
    },
]


Handler = Callable[[Route], None]


def open_fleet(browser: Browser, status: int, learning: dict[str, Handler] | None = None) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []
    handlers = learning if learning is not None else FakeLearning().handlers()

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(HUB)
        if path.startswith("/static/") and "/" not in path.removeprefix("/static/"):
            route.fulfill(path=str(STATIC / path.removeprefix("/static/")))
        elif path in handlers:
            handlers[path](route)
        elif path == "/api/v1/fleet":
            body = {"stations": STATIONS} if status == 200 else {"detail": "admins only"}
            route.fulfill(status=status, content_type="application/json", body=json.dumps(body))
        else:
            outside.append(route.request.url)
            route.fulfill(status=404)

    page.route("**/*", serve)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{HUB}/static/fleet.html")
        yield page
        assert not errors, errors
        assert all("/static/pictograms/" in url for url in outside), outside
    finally:
        context.close()


@pytest.fixture
def admin_page(browser: Browser) -> Iterator[Page]:
    yield from open_fleet(browser, 200)


def test_the_registry_in_both_languages(admin_page: Page) -> None:
    rows = admin_page.locator("#fleet tbody tr")
    expect(rows).to_have_count(2)
    registered = admin_page.locator('tr[data-station="zwolle-plastic-1"]')
    heard = admin_page.locator('tr[data-station="zwolle-plastic-9"]')
    expect(registered.locator('td[data-registration="inService"]')).to_have_text("in dienst")
    expect(heard.locator('td[data-registration="unregistered"]')).to_have_text("niet geregistreerd")
    expect(registered).to_contain_text("plastics-v3")
    expect(admin_page.locator("thead")).to_contain_text("Laatst gezien")
    admin_page.locator('#lang button[data-lang="en"]').click()
    expect(heard.locator('td[data-registration="unregistered"]')).to_have_text("not registered")
    expect(admin_page.locator("thead")).to_contain_text("Last seen")
    expect(admin_page.locator("html")).to_have_attribute("lang", "en")


def test_a_supervisor_is_told_it_is_for_admins(browser: Browser) -> None:
    for page in open_fleet(browser, 403):
        expect(page.locator("#fleet-msg")).to_have_text("Alleen voor beheerders")
        expect(page.locator("#fleet table")).to_have_count(0)
        expect(page.locator("#training")).to_be_hidden()


RESULT = {
    "model_path": "/var/lib/sortcentre/models/zwolle-plastic.onnx",
    "version": "zwolle-plastic@20261204T101500",
    "threshold": 0.8,
    "held_out": 120,
    "new": {"items": 120, "suggested": 100, "precision": 0.97, "coverage": 0.833},
    "current_version": "plastics-v3",
    "current": {"items": 120, "suggested": 90, "precision": 0.95, "coverage": 0.75},
    "offerable": True,
    "reason": "offered: precision 0.970 >= 0.950 of plastics-v3",
    "images": 600,
    "test_accuracy": 0.93,
}


class FakeLearning:
    """The hub's training and rollout endpoints as the page meets them: POST starts a run that the next GET
    finds done, a rollout is answered 201 and then listed."""

    def __init__(self) -> None:
        self.training: dict[str, Any] = {
            "state": "idle",
            "site": None,
            "stream": None,
            "started": None,
            "finished": None,
            "error": None,
            "result": None,
        }
        self.polls = 0
        self.trained: list[dict[str, Any]] = []
        self.rollouts: list[dict[str, Any]] = []

    def handlers(self) -> dict[str, Handler]:
        return {
            "/api/fleet/train": self.train,
            "/api/fleet/rollouts?limit=10": self.rollout,
            "/api/fleet/rollouts": self.rollout,
        }

    def reply(self, route: Route, status: int, body: object) -> None:
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def train(self, route: Route) -> None:
        if route.request.method == "POST":
            self.trained.append(route.request.post_data_json)
            self.training.update(state="running", site="zwolle", stream="plastic", started="2026-12-04T10:00:00Z")
            self.reply(route, 202, self.training)
            return
        if self.training["state"] == "running":
            self.polls += 1
            if self.polls >= 2:  # the page polls until the run is done
                self.training.update(state="done", finished="2026-12-04T10:02:00Z", result=RESULT)
        self.reply(route, 200, self.training)

    def rollout(self, route: Route) -> None:
        if route.request.method == "POST":
            body = route.request.post_data_json
            made = {
                "id": 1,
                "site": body["site"],
                "stream": body["stream"],
                "new_version": body["version"],
                "previous_version": "plastics-v3",
                "canary": body["canary"],
                "others": body["others"],
                "items_needed": 50,
                "state": "canary",
                "started": "2026-12-04T10:03:00Z",
                "decided": None,
                "reason": "waiting for 50 items on the canary",
            }
            self.rollouts.insert(0, made)
            self.reply(route, 201, made)
            return
        self.reply(route, 200, self.rollouts)


def test_an_admin_trains_and_rolls_out_with_the_buttons(browser: Browser) -> None:
    fake = FakeLearning()
    handlers = fake.handlers()
    STATIONS.append({**STATIONS[0], "id": "zwolle-plastic-2", "broker_account": "zwolle-plastic-2"})
    try:
        for page in open_fleet(browser, 200, handlers):
            # Only stations in service with a stream can be trained for: the heard-of one is not offered.
            expect(page.locator("#train-target option")).to_have_count(1)
            expect(page.locator("#train-target option")).to_have_text("Zwolle · plastic")
            expect(page.locator("#rollout-form")).to_be_hidden()
            page.locator("#train").click()
            expect(page.locator("#train-result [data-fact=offered]")).to_have_text("ja", timeout=15_000)
            assert fake.trained == [{"site": "zwolle", "stream": "plastic"}]
            expect(page.locator("#train-result [data-fact=currentModel]")).to_contain_text(
                "plastics-v3: precisie 95.0%"
            )
            expect(page.locator("#train-msg")).to_have_text("Klaar (Zwolle · plastic)")
            page.locator("#rollout-canary").select_option("zwolle-plastic-2")
            page.locator("#rollout").click()
            expect(page.locator("#rollout-msg")).to_contain_text("Verstuurd naar zwolle-plastic-2")
            sent = fake.rollouts[0]
            assert sent["canary"] == ["zwolle-plastic-2"] and sent["others"] == ["zwolle-plastic-1"]
            assert sent["new_version"] == RESULT["version"]
            expect(page.locator('#rollouts td[data-state="canary"]')).to_have_text("bij de canary")
            page.locator('#lang button[data-lang="en"]').click()
            expect(page.locator('#rollouts td[data-state="canary"]')).to_have_text("on the canary")
            expect(page.locator("#train-result [data-fact=offered]")).to_have_text("yes")
    finally:
        STATIONS.pop()


def test_a_model_that_is_not_offered_has_no_roll_out_button(browser: Browser) -> None:
    fake = FakeLearning()
    worse = {**RESULT, "offerable": False, "reason": "not offered: precision 0.900 < 0.950 of plastics-v3"}
    fake.training.update(state="done", site="zwolle", stream="plastic", result=worse)
    handlers = fake.handlers()
    for page in open_fleet(browser, 200, handlers):
        expect(page.locator("#train-result [data-fact=offered]")).to_have_text("nee")
        expect(page.locator("#train-result [data-fact=why]")).to_contain_text("not offered: precision 0.900")
        expect(page.locator("#rollout-form")).to_be_hidden()


def test_a_second_training_run_is_refused_with_the_reason(browser: Browser) -> None:
    def busy(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(
                status=409,
                content_type="application/json",
                body=json.dumps({"detail": "a training run is going on already"}),
            )
        else:
            FakeLearning().train(route)

    handlers = {**FakeLearning().handlers(), "/api/fleet/train": busy}
    for page in open_fleet(browser, 200, handlers):
        page.locator("#train").click()
        expect(page.locator("#train-msg")).to_have_text("Geweigerd: a training run is going on already")
        expect(page.locator("#train-msg")).to_have_attribute("data-kind", "bad")
