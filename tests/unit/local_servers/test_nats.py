"""The NATS config that local_servers/nats.py writes: logins sent to the auth callout, cluster routes."""

from __future__ import annotations

import json
from pathlib import Path

from core.transport.subjects import subject
from hub.broker_accounts import HUB_USER, BrokerAccounts
from hub.nats_auth import ACCOUNT, AUTH_ACCOUNT, AUTH_USER, CalloutFolder, read_users
from local_servers.nats import NatsAuthService, NatsNode


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


def test_a_cluster_node_routes_to_the_others_keeps_three_mqtt_replicas_and_asks_the_callout(tmp_path: Path) -> None:
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
    # No user but the callout's own is in the config: every other login is the callout's to decide.
    assert config["accounts"] == {
        AUTH_ACCOUNT: {"users": [{"user": AUTH_USER, "password": node.callout.password()}]},
        ACCOUNT: {"jetstream": "enabled"},
    }
    callout = config["authorization"]["auth_callout"]
    assert callout == {"issuer": node.callout.issuer().public_key, "auth_users": [AUTH_USER], "account": AUTH_ACCOUNT}
    assert callout["issuer"].startswith("A")  # an account key
    assert set(read_users(node.callout.user_file)) == {HUB_USER, "observer", "zwolle-plastic-1"}
    assert node.config_path.stat().st_mode & 0o077 == 0  # it holds the callout's password
    for secret in (node.callout.seed_file, node.callout.password_file, node.callout.user_file):
        assert secret.stat().st_mode & 0o077 == 0


def test_a_restarted_node_keeps_the_issuer_and_the_callouts_password(tmp_path: Path) -> None:
    node = NatsNode(tmp_path / "n1", accounts=accounts(tmp_path))
    node.data_dir.mkdir(parents=True)
    node.prepare()
    before = node.config_path.read_text()
    node.prepare()
    assert node.config_path.read_text() == before


def test_the_callout_is_ready_only_when_a_login_through_a_node_is_accepted(tmp_path: Path) -> None:
    """A callout whose answers the nodes cannot trust (another issuer) logs that it answers logins all the same:
    the login through a node is what tells, and its refusal is the reason given."""
    answers: list[int | str] = [5, 0]
    service = NatsAuthService(CalloutFolder(tmp_path / "callout"), ["nats://127.0.0.1:1"], login=lambda: answers[0])
    service.log_path.parent.mkdir(parents=True, exist_ok=True)
    service.log_path.write_text("starting\n")
    assert not service.is_ready() and "answering logins" in (service.not_ready_reason or "")
    service.log_path.write_text("NATS auth callout: answering logins on nats://127.0.0.1:1\n")
    assert not service.is_ready()
    assert service.not_ready_reason == "a login through a node: the broker refused CONNECT: not authorised"
    answers.pop(0)
    assert service.is_ready()
