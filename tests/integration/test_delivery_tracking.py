"""Per-station delivery tracking at the hub: gaps, late arrivals, duplicates and clock offset, through the
real broker, shown by the API and the metrics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from core.contract import DeviceHealth, Heartbeat, TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from hub.service import Hub
from local_servers import MosquittoServer
from local_servers.fleet import make_event
from tests.conftest import unique, wait_until
from tests.integration.conftest import logged_in, stored_count


def test_gaps_late_arrivals_duplicates_and_clock(mosquitto: MosquittoServer, hub: Hub) -> None:
    station = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("station"))
    station.start()
    assert station.wait_connected(10)
    where = topic("zwolle", "zwolle-plastic-1", TopicKind.EVENT)
    events = {seq: make_event(seq) for seq in range(1, 7)}
    for seq in (1, 2, 3, 5, 6):
        station.publish(where, events[seq].to_json())
    assert wait_until(lambda: stored_count(hub) == 5, 10)
    api = logged_in(hub)

    def view() -> dict[str, object]:
        views = api.get("/api/v1/stations").json()  # other tests' stations may be there too (retained status)
        return next(v for v in views if v["station"] == "zwolle-plastic-1")  # type: ignore[no-any-return]

    def delivery() -> dict[str, object]:
        return view()["delivery"]  # type: ignore[return-value]

    # Readable in InfluxDB comes a moment before the live view hears of it (after the rollups and the ack).
    assert wait_until(lambda: delivery()["missing"] == 1, 20)
    assert delivery()["missing_sample"] == [4]
    assert 'sortcentre_station_missing_events{station="zwolle-plastic-1"} 1.0' in api.get("/metrics").text
    station.publish(where, events[4].to_json())  # the late one
    station.publish(where, events[2].to_json())  # a redelivery
    assert wait_until(lambda: delivery()["reordered"] == 1 and delivery()["duplicates"] == 1, 10)
    assert delivery()["missing"] == 0 and stored_count(hub) == 6

    heartbeat = Heartbeat(
        site="zwolle",
        station="zwolle-plastic-1",
        boot_id=uuid.uuid4(),
        station_time=datetime.now(UTC) - timedelta(seconds=600),  # a Pi that booted without NTP
        uptime_s=5,
        scale=DeviceHealth.OK,
        camera=DeviceHealth.ABSENT,
        model_version=None,
        journal_depth=0,
        oldest_unsent_age_s=None,
        clock_synced=True,
        events_made=6,
        events_sent=6,
        warnings=[],
        software_version="0.1.0",
    )
    station.publish(topic("zwolle", "zwolle-plastic-1", TopicKind.HEARTBEAT), heartbeat.to_json(), qos=1)
    assert wait_until(lambda: view()["clock_suspect"] is True, 10)
    offset = view()["clock_offset_s"]
    assert isinstance(offset, int | float) and 599 < offset < 605
    station.stop()
