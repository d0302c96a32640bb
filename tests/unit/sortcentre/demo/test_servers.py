"""The demo's NATS cluster before it starts: the demo's broker accounts as NATS users, its ports kept between runs
like the others, and a taken one named before anything starts."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from hub.broker_accounts import HUB_USERS
from hub.nats_auth import ACCOUNT, read_users
from local_servers import InfluxServer
from local_servers.nats import NatsNode
from sortcentre.demo.configs import broker_secrets, demo_spec, ports_file
from sortcentre.demo.ports import DemoPorts
from sortcentre.demo.servers import MosquittoBroker, NatsBroker, make_servers, taken_ports


def test_the_nats_nodes_know_every_demo_account_with_its_kept_password(tmp_path: Path) -> None:
    broker = NatsBroker(tmp_path, DemoPorts(ports_file(tmp_path)))
    stations = {entry["id"]: entry["site"] for entry in demo_spec()["station"]}
    for node in broker.nodes:
        node.data_dir.mkdir(parents=True)
        node.prepare()
        config = json.loads(node.config_path.read_text())
        assert config["accounts"][ACCOUNT] == {"jetstream": "enabled"}  # its users come from the auth callout
        assert node.callout is broker.nodes[0].callout  # one callout for the cluster
        by_name = read_users(node.callout.user_file)
        assert set(by_name) == set(stations) | set(HUB_USERS)
        for name, user in by_name.items():
            assert user.password_matches((broker_secrets(tmp_path) / name).read_text().strip())
        zwolle = by_name["zwolle-plastic-1"]
        assert zwolle.connection_types() == ["MQTT"]
        assert zwolle.permissions()["pub"]["allow"][0] == "sortcentre.v1.zwolle.zwolle-plastic-1.event"
    assert [node.data_dir for node in broker.nodes] == [tmp_path / "nats" / f"n{i}" for i in (1, 2, 3)]
    assert broker.jetstream_servers == [node.url for node in broker.nodes]


def test_the_nats_ports_are_kept_between_runs(tmp_path: Path) -> None:
    ports = DemoPorts(ports_file(tmp_path))
    first, influx = make_servers(tmp_path, "nats", ports, None, None)
    ports.save()
    again = NatsBroker(tmp_path, DemoPorts(ports_file(tmp_path)))
    assert isinstance(first, NatsBroker)
    assert [n.ports() for n in again.nodes] == [n.ports() for n in first.nodes]
    assert len({port for node in first.nodes for port in node.ports()} | {influx.port}) == 13
    assert isinstance(
        make_servers(tmp_path, "mosquitto", DemoPorts(ports_file(tmp_path)), None, None)[0], MosquittoBroker
    )


def test_a_taken_nats_port_or_second_hub_port_is_named(tmp_path: Path) -> None:
    broker = NatsBroker(tmp_path, DemoPorts(ports_file(tmp_path)))
    influx = InfluxServer(tmp_path / "influxdb")
    n2 = broker.nodes[1]
    with socket.create_server(("127.0.0.1", n2.mqtt_port)), socket.create_server(("127.0.0.1", 0)) as hub2:
        second = hub2.getsockname()[1]
        messages = taken_ports([second - 1, second], broker, influx)
    assert any(f"port {n2.mqtt_port} (for NATS node n2's MQTT port) is taken" in m for m in messages), messages
    assert any(f"port {second} (for the second hub's web page) is taken" in m and "--http-port" in m for m in messages)


def test_the_consumer_figures_come_from_the_node_that_leads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A follower's /jsz lags: one said 0 delivered while the leader (n3) had delivered 19."""
    broker = NatsBroker(tmp_path, DemoPorts(ports_file(tmp_path)))
    monkeypatch.setattr(NatsNode, "running", property(lambda _node: True))
    reports = {
        "n1": {"cluster": {"leader": "n3"}, "delivered": {"consumer_seq": 0}},
        "n2": None,  # not answering
        "n3": {"cluster": {"leader": "n3"}, "delivered": {"consumer_seq": 19}},
    }
    monkeypatch.setattr(NatsNode, "consumer", lambda node, _stream, _durable: reports[node.server_name])
    assert broker.consumer("hub-ingest") == reports["n3"]
    assert broker.has_consumer("hub-ingest")
    reports["n3"] = None  # the leader stopped, no new one yet: no figures, but the consumer exists
    assert broker.consumer("hub-ingest") is None and broker.has_consumer("hub-ingest")
