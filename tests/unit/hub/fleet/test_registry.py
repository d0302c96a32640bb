"""The station registry: add, retire, tokens, and what the live view records (the broker's own behaviour with the
accounts it writes: tests/integration/test_fleet_registry.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.broker_accounts import HUB_LIVE_USER, HUB_USER, BrokerAccounts, BrokerReloadError
from hub.fleet.registry import TOKEN_PREFIX, RegistryError, StationRegistry, token_digest
from hub.nats_auth import CalloutFolder, read_users
from tests.unit.hub.auth.conftest import Clock

AT = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


class Monotonic(Clock):
    pass


@pytest.fixture
def monotonic() -> Monotonic:
    return Monotonic(100.0)


@pytest.fixture
def registry(tmp_path: Path, monotonic: Monotonic) -> StationRegistry:
    return StationRegistry(tmp_path / "stations.sqlite", clock=Clock(), monotonic=monotonic)


@pytest.fixture
def broker(tmp_path: Path) -> BrokerAccounts:
    """The broker's files as the hub's installation made them: the hub's two accounts, an observer, and a station
    that was set up by hand (not in the registry)."""
    accounts = BrokerAccounts(tmp_path / "broker")
    accounts.add_hub(HUB_USER)
    accounts.add_hub(HUB_LIVE_USER)
    accounts.add_observer("observer")
    accounts.add_station("ommen-textile-1", "ommen")
    accounts.write()
    return accounts


def with_broker(tmp_path: Path, accounts: BrokerAccounts, pid_file: Path | None = None) -> StationRegistry:
    return StationRegistry(tmp_path / "stations.sqlite", broker_folder=accounts.folder, broker_pid_file=pid_file)


def test_add_returns_the_secrets_once_and_keeps_only_a_hash(registry: StationRegistry) -> None:
    record, password, token = registry.add("zwolle-plastic-1", "zwolle", "plastic")
    assert (record.id, record.site, record.stream) == ("zwolle-plastic-1", "zwolle", "plastic")
    assert record.added_at is not None and record.in_service and not record.unregistered
    assert password == "" and record.broker_account is None  # no broker folder: a broker without accounts
    assert token.startswith(TOKEN_PREFIX) and len(token) >= 40
    assert registry.get("zwolle-plastic-1") == record
    assert registry.list() == [record]
    with sqlite3.connect(registry.path) as db:
        stored = db.execute("SELECT token_sha256 FROM stations").fetchone()[0]
        dump = "\n".join(db.iterdump())
    assert stored == token_digest(token) and token not in dump


def test_a_token_names_its_station_until_it_is_rotated_or_the_station_retired(registry: StationRegistry) -> None:
    zwolle, _, token = registry.add("zwolle-plastic-1", "zwolle", "plastic")
    _, _, other = registry.add("dalfsen-plastic-1", "dalfsen", "plastic")
    assert registry.station_for_token(token) == zwolle
    assert registry.station_for_token(other) == registry.get("dalfsen-plastic-1")
    for wrong in ("", "sst_", token[:-1], token + "x", token.upper(), "sst_" + "a" * 500, "sst_é" + token[5:]):
        assert registry.station_for_token(wrong) is None
    new = registry.rotate_token("zwolle-plastic-1")
    assert registry.station_for_token(token) is None and registry.station_for_token(new) == zwolle
    registry.retire("zwolle-plastic-1")
    assert registry.station_for_token(new) is None
    with pytest.raises(RegistryError, match="not in service"):
        registry.rotate_token("zwolle-plastic-1")


def test_add_refuses_a_station_in_service_and_bad_names(registry: StationRegistry) -> None:
    registry.add("zwolle-plastic-1", "zwolle", "plastic")
    with pytest.raises(RegistryError, match="already added"):
        registry.add("zwolle-plastic-1", "dalfsen", "plastic")
    for station, site, stream in (("Zwolle 1", "zwolle", "plastic"), ("z1", "../etc", "plastic"), ("z1", "a", "#")):
        with pytest.raises(RegistryError, match="not a slug"):
            registry.add(station, site, stream)
    with pytest.raises(RegistryError, match="no station"):
        registry.retire("nobody")


def test_a_retired_station_stays_listed_and_can_be_added_again(registry: StationRegistry) -> None:
    registry.add("zwolle-plastic-1", "zwolle", "plastic")
    retired = registry.retire("zwolle-plastic-1")
    assert retired.retired and not retired.in_service and retired.retired_at is not None
    assert registry.retire("zwolle-plastic-1").retired_at == retired.retired_at  # twice keeps the first time
    again, _, token = registry.add("zwolle-plastic-1", "zwolle", "textile")
    assert again.in_service and again.stream == "textile"
    assert registry.station_for_token(token) == again


def test_an_unknown_station_heard_of_is_recorded_as_unregistered_and_adopted_by_add(
    registry: StationRegistry,
) -> None:
    seen = registry.seen("zwolle", "zwolle-plastic-9", software_version="0.1.0", model_version="m1", at=AT)
    assert seen is not None and seen.unregistered and not seen.in_service
    assert (seen.first_seen, seen.last_seen, seen.software_version, seen.model_version) == (AT, AT, "0.1.0", "m1")
    assert seen.stream is None and seen.broker_account is None
    assert registry.station_for_token("sst_" + "a" * 43) is None
    added, _, _ = registry.add("zwolle-plastic-9", "zwolle", "plastic")
    assert added.in_service and added.first_seen == AT and added.software_version == "0.1.0"
    assert registry.seen("zwolle", "zwolle-plastic-9", at=AT) == added  # add forgets what seen() cached


def test_seen_writes_versions_at_once_and_last_seen_at_most_every_interval(
    tmp_path: Path, monotonic: Monotonic
) -> None:
    registry = StationRegistry(
        tmp_path / "stations.sqlite", seen_write_interval_s=30, clock=Clock(), monotonic=monotonic
    )
    registry.add("zwolle-plastic-1", "zwolle", "plastic")
    registry.seen("zwolle", "zwolle-plastic-1", software_version="0.1.0", model_version="m1", at=AT)
    later = AT.replace(minute=1)
    monotonic.now += 10
    registry.seen("zwolle", "zwolle-plastic-1", software_version="0.1.0", at=later)
    assert registry.get("zwolle-plastic-1").last_seen == AT  # type: ignore[union-attr]
    # A version of None leaves the stored one; a new version is written at once.
    registry.seen("zwolle", "zwolle-plastic-1", model_version="m2", config_version="c7", at=later)
    record = registry.get("zwolle-plastic-1")
    assert record is not None
    assert (record.last_seen, record.model_version, record.config_version, record.software_version) == (
        later,
        "m2",
        "c7",
        "0.1.0",
    )
    monotonic.now += 31
    latest = AT.replace(minute=2)
    registry.seen("zwolle", "zwolle-plastic-1", at=latest)
    assert registry.get("zwolle-plastic-1").last_seen == latest  # type: ignore[union-attr]


def test_seen_stores_neither_another_sites_id_nor_unregistered_stations_beyond_the_limit(tmp_path: Path) -> None:
    registry = StationRegistry(tmp_path / "stations.sqlite", max_unregistered=2)
    registry.add("zwolle-plastic-1", "zwolle", "plastic")
    assert registry.seen("dalfsen", "zwolle-plastic-1", software_version="evil", at=AT) is None
    assert registry.get("zwolle-plastic-1").software_version is None  # type: ignore[union-attr]
    assert registry.seen("x", "a", at=AT) is not None
    assert registry.seen("x", "b", at=AT) is not None
    assert registry.seen("x", "c", at=AT) is None
    assert [r.id for r in registry.list()] == ["a", "b", "zwolle-plastic-1"]
    assert registry.seen("x", "a", software_version="v" * 1000, at=AT).software_version == "v" * 64  # type: ignore[union-attr]


def test_add_and_retire_write_the_broker_account_and_acl_keeping_the_others(
    tmp_path: Path, broker: BrokerAccounts
) -> None:
    before = {line for line in broker.password_file.read_text().splitlines() if line}
    registry = with_broker(tmp_path, broker)
    record, password, _ = registry.add("zwolle-plastic-1", "zwolle", "plastic")
    assert record.broker_account == "zwolle-plastic-1" and len(password) >= 20
    rules = broker.acl_file.read_text().splitlines()
    block = rules[rules.index("user zwolle-plastic-1") :][:6]
    assert block == [
        "user zwolle-plastic-1",
        "topic write sortcentre/v1/zwolle/zwolle-plastic-1/event",
        "topic write sortcentre/v1/zwolle/zwolle-plastic-1/status",
        "topic write sortcentre/v1/zwolle/zwolle-plastic-1/heartbeat",
        "topic read sortcentre/v1/zwolle/zwolle-plastic-1/config",
        "topic read sortcentre/v1/zwolle/zwolle-plastic-1/model",
    ]
    # Everyone else keeps their rules and their password hash (nobody's password is known here).
    again = BrokerAccounts.read(broker.folder)
    assert again.hubs == {HUB_USER, HUB_LIVE_USER} and again.observers == {"observer"}
    assert again.sites == {"ommen-textile-1": "ommen", "zwolle-plastic-1": "zwolle"}
    after = {line for line in broker.password_file.read_text().splitlines() if line}
    assert before < after and {line.split(":")[0] for line in after - before} == {"zwolle-plastic-1"}
    assert broker.password_file.stat().st_mode & 0o777 == 0o600

    registry.retire("zwolle-plastic-1")
    assert "zwolle-plastic-1" not in broker.acl_file.read_text()
    assert {line for line in broker.password_file.read_text().splitlines() if line} == before
    assert registry.get("zwolle-plastic-1").broker_account is None  # type: ignore[union-attr]
    # A station set up by hand, heard of, can be retired too: its account goes.
    registry.seen("ommen", "ommen-textile-1", at=AT)
    registry.retire("ommen-textile-1")
    assert BrokerAccounts.read(broker.folder).sites == {}


def test_an_acl_not_written_by_sortcentre_is_left_alone(tmp_path: Path, broker: BrokerAccounts) -> None:
    broker.acl_file.write_text(broker.acl() + "user someone\ntopic readwrite #\n")
    registry = with_broker(tmp_path, broker)
    with pytest.raises(RegistryError, match="not a rule sortcentre writes"):
        registry.add("zwolle-plastic-1", "zwolle", "plastic")
    assert registry.get("zwolle-plastic-1") is None  # the transaction rolled back
    with pytest.raises(RegistryError, match="reserved"):
        with_broker(tmp_path, BrokerAccounts(tmp_path / "empty")).add("hub-live", "zwolle", "plastic")
    (tmp_path / "not-a-folder").write_text("")
    with pytest.raises(RegistryError, match="could not write the broker's account files"):
        with_broker(tmp_path, BrokerAccounts(tmp_path / "not-a-folder")).add("zwolle-plastic-1", "zwolle", "plastic")
    assert registry.get("zwolle-plastic-1") is None


def test_reloading_needs_a_mosquitto_pid(tmp_path: Path, broker: BrokerAccounts) -> None:
    pid_file = tmp_path / "mosquitto.pid"
    registry = with_broker(tmp_path, broker, pid_file)
    with pytest.raises(BrokerReloadError, match="no broker pid"):
        registry.add("zwolle-plastic-1", "zwolle", "plastic")
    assert registry.get("zwolle-plastic-1") is not None  # added all the same: the reload is what failed
    pid_file.write_text("1\n")  # init (or, in a container, whatever runs as pid 1): never signalled
    with pytest.raises(BrokerReloadError, match="not mosquitto"):
        registry.reload_broker()
    assert with_broker(tmp_path, broker).reload_broker() is None  # no pid file configured: the admin reloads


def test_on_nats_add_and_retire_update_the_auth_callouts_users_with_the_same_password(
    tmp_path: Path, broker: BrokerAccounts
) -> None:
    """One password for Mosquitto's files and the NATS auth callout's user file; everyone else's entry kept."""
    callout = CalloutFolder(tmp_path / "callout")
    callout.write(broker)
    registry = StationRegistry(
        tmp_path / "stations.sqlite", broker_folder=broker.folder, nats_callout_folder=callout.folder
    )
    _, password, _ = registry.add("zwolle-plastic-1", "zwolle", "plastic")
    users = read_users(callout.user_file)
    assert set(users) == {HUB_USER, HUB_LIVE_USER, "observer", "ommen-textile-1", "zwolle-plastic-1"}
    assert users["zwolle-plastic-1"].password_matches(password) and users["zwolle-plastic-1"].site == "zwolle"
    assert users["ommen-textile-1"].password_matches(broker.passwords["ommen-textile-1"])
    assert callout.user_file.stat().st_mode & 0o077 == 0
    registry.retire("zwolle-plastic-1")
    assert "zwolle-plastic-1" not in read_users(callout.user_file)


def test_on_nats_alone_a_station_gets_an_account_in_the_callouts_users(tmp_path: Path) -> None:
    registry = StationRegistry(tmp_path / "stations.sqlite", nats_callout_folder=tmp_path / "callout")
    record, password, _ = registry.add("zwolle-plastic-1", "zwolle", "plastic")
    assert record.broker_account == "zwolle-plastic-1" and len(password) >= 20
    user = read_users(tmp_path / "callout" / "users.json")["zwolle-plastic-1"]
    assert user.role == "station" and user.password_matches(password)
    with pytest.raises(RegistryError, match="reserved"):
        registry.add("hub-2", "zwolle", "plastic")
