"""A hub thread that dies makes the hub unhealthy (/healthz and /api/v1/health answer 503 with the reason) and
tells the listeners that stop it; one that survives an unexpected error counts it."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from config.influx import InfluxSettings
from hub.api.app import create_app
from hub.api.deps import HubState
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.metrics import IngestMetrics
from hub.live.stations import LiveStations
from hub.storage.influx_v1 import InfluxV1
from hub.supervision import Guard, Supervisor
from local_servers import free_port


def state(supervisor: Supervisor, metrics: IngestMetrics) -> HubState:
    # Nothing listens there: the health answer then says influx false, quickly.
    store = InfluxV1(InfluxSettings(url=f"http://127.0.0.1:{free_port()}", timeout_s=1))
    return HubState(store, LiveStations(DeadLetters()), DeadLetters(), metrics, supervisor=supervisor)


def test_a_thread_that_dies_fails_health_and_stops_the_hub() -> None:
    metrics = IngestMetrics()
    supervisor = Supervisor(metrics)
    told: list[str] = []
    supervisor.listeners.append(told.append)
    api = TestClient(create_app(state(supervisor, metrics)))
    for path in ("/healthz", "/api/v1/health"):
        answer = api.get(path)
        assert answer.status_code == 200 and answer.json()["status"] == "ok"

    def broken() -> None:
        raise KeyError("a bug")

    thread = supervisor.thread(broken, "ingest-collect")
    thread.start()
    thread.join(5)
    assert not supervisor.healthy
    assert len(told) == 1 and "KeyError" in told[0]
    for path in ("/healthz", "/api/v1/health"):
        answer = api.get(path)
        assert answer.status_code == 503
        assert answer.json()["status"] == "failed"
        assert any("ingest-collect" in reason and "KeyError" in reason for reason in answer.json()["reasons"])
    assert metrics.thread_failures.labels("ingest-collect")._value.get() == 1


def test_a_thread_that_returns_before_the_hub_stops_is_a_failure_but_not_while_stopping() -> None:
    supervisor = Supervisor()
    early = supervisor.thread(lambda: None, "ingest-rollups")
    early.start()
    early.join(5)
    assert supervisor.failures() == ["ingest-rollups: ended before the hub stopped"]

    calm = Supervisor()
    calm.stopping()
    late = calm.thread(lambda: None, "ingest-rollups")
    late.start()
    late.join(5)
    assert calm.healthy


def test_the_excepthook_catches_threads_that_are_not_ours() -> None:
    supervisor = Supervisor()
    previous = threading.excepthook
    threading.excepthook = supervisor.excepthook
    try:
        thread = threading.Thread(target=lambda: 1 / 0, name="paho-loop")
        thread.start()
        thread.join(5)
    finally:
        threading.excepthook = previous
    assert supervisor.failures() == ["paho-loop: ZeroDivisionError: division by zero"]


def test_a_guarded_unit_of_work_counts_and_goes_on() -> None:
    metrics = IngestMetrics()
    supervisor = Supervisor(metrics)
    done = []
    for n in range(3):
        with Guard(supervisor, "ingest-listeners", "a listener"):
            if n == 1:
                raise ValueError("listener bug")
            done.append(n)
    assert done == [0, 2]
    assert metrics.unexpected_errors.labels("ingest-listeners")._value.get() == 1
    assert supervisor.healthy
