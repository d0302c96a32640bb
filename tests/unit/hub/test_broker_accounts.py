"""The generated ACL (the broker's own behaviour with it: tests/integration/test_broker_identities.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.contract.topics import TopicError
from hub.broker_accounts import HUB_LIVE_USER, HUB_USER, AccountError, BrokerAccounts


def test_each_station_is_confined_to_its_own_site_and_id(tmp_path: Path) -> None:
    accounts = BrokerAccounts(tmp_path)
    accounts.add_hub(HUB_USER)
    accounts.add_hub(HUB_LIVE_USER)
    accounts.add_observer("observer")
    accounts.add_station("zwolle-plastic-1", "zwolle")
    rules = accounts.acl().splitlines()
    station = rules[rules.index("user zwolle-plastic-1") :]
    assert station == [
        "user zwolle-plastic-1",
        "topic write sortcentre/v1/zwolle/zwolle-plastic-1/event",
        "topic write sortcentre/v1/zwolle/zwolle-plastic-1/status",
        "topic write sortcentre/v1/zwolle/zwolle-plastic-1/heartbeat",
        "topic read sortcentre/v1/zwolle/zwolle-plastic-1/config",
        "topic read sortcentre/v1/zwolle/zwolle-plastic-1/model",
    ]
    # No rule that leaves a level open to every account: patterns substitute only %u and %c, never the site.
    assert not [line for line in rules if line.startswith("pattern") or "+" in line]
    observer = rules[rules.index("user observer") :]
    assert observer[1] == "topic read sortcentre/v1/#" and observer[2] == ""


@pytest.mark.parametrize("station", ["hub", "hub-live", "hub-ingest-2"])
def test_a_station_cannot_have_a_hub_name(tmp_path: Path, station: str) -> None:
    """The broker binds client ids to user names: a station named like a hub account would be the hub."""
    with pytest.raises(AccountError, match="reserved"):
        BrokerAccounts(tmp_path).add_station(station, "zwolle")


def test_names_are_slugs_and_roles_do_not_overlap(tmp_path: Path) -> None:
    accounts = BrokerAccounts(tmp_path)
    with pytest.raises(TopicError):
        accounts.add_station("zwolle/#", "zwolle")
    with pytest.raises(TopicError):
        accounts.add_station("zwolle-plastic-1", "+")
    with pytest.raises(AccountError):
        accounts.add_hub("hub-admin")
    accounts.add_station("zwolle-plastic-1", "zwolle")
    with pytest.raises(AccountError):
        accounts.add_observer("zwolle-plastic-1")
    accounts.add_observer("observer")
    with pytest.raises(AccountError):
        accounts.add_station("observer", "zwolle")


def test_a_password_is_kept_once_made(tmp_path: Path) -> None:
    accounts = BrokerAccounts(tmp_path)
    made = accounts.add_station("zwolle-plastic-1", "zwolle")
    assert accounts.add_station("zwolle-plastic-1", "zwolle") == made
    assert accounts.add_hub(HUB_USER, "given") == "given"
