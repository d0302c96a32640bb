"""The NATS config that local_servers/nats.py writes: permissions mirroring the Mosquitto ACL, cluster routes."""

from __future__ import annotations

import json
from pathlib import Path

from hub.broker_accounts import HUB_USER, BrokerAccounts
from hub.ingest.jetstream import subject
from local_servers.nats import ACCOUNT, NatsNode, permissions


def accounts(tmp_path: Path) -> BrokerAccounts:
    accounts = BrokerAccounts(tmp_path / "auth")
    accounts.add_hub(HUB_USER)
    accounts.add_observer("observer")
    accounts.add_station("zwolle-plastic-1", "zwolle")
    return accounts


def test_topics_map_to_subjects() -> None:
    assert subject("sortcentre/v1/zwolle/zwolle-plastic-1/event") == "sortcentre.v1.zwolle.zwolle-plastic-1.event"
    assert subject("sortcentre/v1/+/+/event") == "sortcentre.v1.*.*.event"
    assert subject("sortcentre/v1/#") == "sortcentre.v1.>"


def test_a_station_publishes_its_own_topics_reads_its_own_config_and_speaks_mqtt_only(tmp_path: Path) -> None:
    entry = permissions(accounts(tmp_path), "zwolle-plastic-1")
    own = "sortcentre.v1.zwolle.zwolle-plastic-1"
    assert entry["permissions"] == {
        "publish": {"allow": [f"{own}.event", f"{own}.status", f"{own}.heartbeat"]},
        "subscribe": {"allow": [f"{own}.config", f"{own}.model", "$MQTT.sub.>"]},
    }
    assert entry["allowed_connection_types"] == ["MQTT"]


def test_the_hub_and_observers_may_use_the_jetstream_api(tmp_path: Path) -> None:
    known = accounts(tmp_path)
    for user in (HUB_USER, "observer"):
        entry = permissions(known, user)
        assert "$JS.API.>" in entry["permissions"]["publish"]["allow"]  # type: ignore[index]
        assert "allowed_connection_types" not in entry
    assert "sortcentre.v1.>" not in permissions(known, "observer")["permissions"]["publish"]["allow"]  # type: ignore[index]


def test_a_cluster_node_routes_to_the_others_and_keeps_three_mqtt_replicas(tmp_path: Path) -> None:
    node = NatsNode(
        tmp_path / "n2", server_name="n2", accounts=accounts(tmp_path), cluster="c", route_port=2, routes=[1, 2, 3]
    )
    node.mqtt_replicas = 3
    node.data_dir.mkdir(parents=True)
    node.prepare()
    config = json.loads(node.config_path.read_text())
    assert config["cluster"]["routes"] == ["nats-route://127.0.0.1:1", "nats-route://127.0.0.1:3"]
    assert config["mqtt"]["stream_replicas"] == 3
    assert config["jetstream"]["store_dir"] == str(tmp_path / "n2" / "jetstream")
    assert {user["user"] for user in config["accounts"][ACCOUNT]["users"]} == {HUB_USER, "observer", "zwolle-plastic-1"}
    assert node.config_path.stat().st_mode & 0o077 == 0  # it holds the passwords
