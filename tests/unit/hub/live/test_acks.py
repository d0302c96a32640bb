"""Acknowledged alerts: who and when, kept across a restart, forgotten once the alert has been gone a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.live.acks import AlertAcks

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SCALE = "scale_fault:zwolle/zwolle-plastic-1"
OTHER = "scale_fault:ommen/ommen-textile-1"


def test_who_and_when_are_kept_and_survive_a_restart(tmp_path: Path) -> None:
    acks = AlertAcks(tmp_path / "acks.sqlite", timedelta(minutes=5))
    [made] = acks.acknowledge([(SCALE, "zwolle")], "supervisor-zwolle", NOW)
    assert (made.by, made.at) == ("supervisor-zwolle", NOW)
    assert acks.acknowledge([(SCALE, "zwolle")], "admin", NOW + timedelta(minutes=1)) == []  # the first one stands
    again = AlertAcks(tmp_path / "acks.sqlite", timedelta(minutes=5))
    [kept] = again.current([SCALE], None, NOW + timedelta(minutes=2)).values()
    assert (kept.by, kept.at) == ("supervisor-zwolle", NOW)


def test_forgotten_once_the_alert_is_gone_long_enough(tmp_path: Path) -> None:
    acks = AlertAcks(tmp_path / "acks.sqlite", timedelta(minutes=5))
    acks.acknowledge([(SCALE, "zwolle"), (OTHER, "ommen")], "admin", NOW)
    assert set(acks.current([], None, NOW + timedelta(minutes=4))) == set()  # gone, but not long enough
    assert SCALE in acks.current([SCALE], None, NOW + timedelta(minutes=4))  # back: still acknowledged
    # Zwolle's view, 6 minutes after the alert was last seen: forgotten. Ommen's is kept until a view covers ommen.
    assert acks.current([], {"zwolle"}, NOW + timedelta(minutes=10)) == {}
    assert acks.current([SCALE], {"zwolle"}, NOW + timedelta(minutes=10)) == {}  # back after: a new alert
    assert set(AlertAcks(tmp_path / "acks.sqlite", timedelta(minutes=5)).current([SCALE, OTHER], None, NOW)) == {OTHER}
