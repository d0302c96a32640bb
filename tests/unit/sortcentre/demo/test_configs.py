"""The demo's configs: the textile station knows its mat's colour and sees garments on it; on NATS the stations take
the nodes in turn and two hubs share the consumer and the data files."""

from __future__ import annotations

from pathlib import Path

from config.hub import HubSettings
from config.learning import LearningSettings
from config.station import StationConfig
from firmware_mocks.garments import MAT_BGR
from hub.broker_accounts import HUB_LIVE_USER, HUB_USER
from local_servers import InfluxServer
from sortcentre.demo.configs import (
    DEMO_ACK_WAIT_S,
    SECOND_HUB_CHECK_S,
    SHARED_RESYNC_S,
    ports_file,
    station_configs,
    write_hub_configs,
    write_station_configs,
)
from sortcentre.demo.ports import DemoPorts


def test_the_textile_station_has_its_mat_colour_and_a_garment_camera(tmp_path: Path) -> None:
    by_id = {c["station"]["id"]: c for c in station_configs(tmp_path, 1883)}
    textile = by_id["ommen-textile-1"]
    assert textile["vision"]["mat"]["bgr"] == list(MAT_BGR)
    assert textile["camera"]["source"].endswith("camera-garments")
    assert "vision" not in by_id["zwolle-plastic-1"]
    # The learning demo's cameras show rendered items on a grey plate: no mat there.
    learning = {c["station"]["id"]: c for c in station_configs(tmp_path, 1883, learning=True)}
    assert "mat" not in learning["ommen-textile-1"]["vision"]


def test_written_configs_load_and_keep_their_kiosk_ports(tmp_path: Path) -> None:
    ports = DemoPorts(ports_file(tmp_path))
    files = write_station_configs(tmp_path, 1883, ports=ports)
    ports.save()
    loaded = {f.station: StationConfig.load(f.path) for f in files}
    assert loaded["ommen-textile-1"].vision.mat is not None
    assert len(list((tmp_path / "stations" / "ommen-textile-1" / "camera-garments").iterdir())) == 20
    again = {
        c["station"]["id"]: c["kiosk"]["port"]
        for c in station_configs(tmp_path, 1883, ports=DemoPorts(ports_file(tmp_path)))
    }
    assert again == {name: config.kiosk.port for name, config in loaded.items()}


def test_stations_take_the_nats_nodes_in_turn(tmp_path: Path) -> None:
    """On NATS each node has a station of its own, so stopping one node stops one station's flow, not all."""
    on_nats = [c["mqtt"]["port"] for c in station_configs(tmp_path, [4001, 4002, 4003])]
    assert on_nats == [4001, 4002, 4003]
    assert {c["mqtt"]["port"] for c in station_configs(tmp_path, 1883)} == {1883}


def test_on_mosquitto_one_hub_reads_mqtt(tmp_path: Path) -> None:
    influx = InfluxServer(tmp_path / "influxdb", 8086)
    [hub] = write_hub_configs(tmp_path, 8080, [1883], influx, None)
    assert (hub.name, hub.path.name, hub.url) == ("hub", "hub.toml", "http://127.0.0.1:8080")
    settings = HubSettings.load(hub.path)
    assert settings.ingest.source == "mqtt" and settings.mqtt.port == 1883
    assert settings.client_id == HubSettings.model_fields["client_id"].default


def test_on_nats_two_hubs_share_one_consumer_and_the_data_files(tmp_path: Path) -> None:
    influx = InfluxServer(tmp_path / "influxdb", 8086)
    urls = ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"]
    hubs = write_hub_configs(tmp_path, 8080, [5001, 5002, 5003], influx, urls)
    assert [(h.name, h.path.name, h.http_port) for h in hubs] == [
        ("hub-1", "hub-1.toml", 8080),
        ("hub-2", "hub-2.toml", 8081),
    ]
    first, second = (HubSettings.load(h.path) for h in hubs)
    for settings in (first, second):
        assert settings.ingest.source == "jetstream"
        assert settings.ingest.jetstream.servers == urls
        assert settings.ingest.jetstream.ack_wait_s == DEMO_ACK_WAIT_S
        assert settings.mqtt.username == HUB_USER and settings.live_mqtt.username == HUB_LIVE_USER
        assert settings.influx.url == influx.url
        # Each hub's live totals take in the other's share at each re-read of InfluxDB: often, with two.
        assert settings.dashboard.resync_interval_s == SHARED_RESYNC_S <= 10
    # One durable consumer for both; MQTT client ids (the live view's) and web ports of their own; live views
    # on two different nodes.
    assert first.ingest.jetstream.durable == second.ingest.jetstream.durable
    assert first.client_id != second.client_id
    assert (first.http_port, second.http_port) == (8080, 8081)
    assert (first.mqtt.port, second.mqtt.port) == (5001, 5002)
    # The same users (a session is good at both), alert acks, registry, keys, periods, remote configs and
    # rollouts: two hubs of one site, not two sites.
    shared = [
        lambda s: s.auth.users_file,
        lambda s: s.dashboard.acks_file,
        lambda s: s.fleet.registry_file,
        lambda s: s.keys.keys_file,
        lambda s: s.feeds.periods_file,
        lambda s: s.remote_config.config_file,
        lambda s: s.learning.rollouts_file,
        lambda s: s.models.folder,
        lambda s: s.captures.folder,
    ]
    for path_of in shared:
        assert path_of(first) == path_of(second)
    # Only the first steps the canary rollouts; the second checks as seldom as the setting allows.
    assert first.learning.check_interval_s == LearningSettings().check_interval_s
    assert second.learning.check_interval_s == SECOND_HUB_CHECK_S
    assert LearningSettings.model_fields["check_interval_s"].metadata[-1].le == SECOND_HUB_CHECK_S
