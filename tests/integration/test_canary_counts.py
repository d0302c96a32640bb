"""The canary's counts from a real InfluxDB: events written with the hub's own storage code, counted per station
and model version (shown acceptance, blind accuracy, undos taken out)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.influx import InfluxSettings
from core.contract import SortingEvent, Suggestion
from hub.fleet.canary import VersionCounts
from hub.fleet.counts import version_counts
from hub.storage.influx_v1 import InfluxV1
from hub.storage.line_protocol import line
from hub.storage.points import MEASUREMENT, event_fields, event_line, timestamp_ns
from local_servers import InfluxServer
from local_servers.fleet import make_event
from tests.conftest import unique

NEW, OLD = "plastic-classifier@zuid-2", "plastic-classifier@zuid-1"


def blind_line(event: SortingEvent) -> str:
    """A blind-check event's point: the hub's tags and fields plus ``shown=false``, as the blind-check storage
    writes it (docs/fleet.md, "Canary and rollback")."""
    tags, fields = event_fields(event)
    return line(MEASUREMENT, {**tags, "shown": "false"}, fields, timestamp_ns(event))


@pytest.fixture
def store(influx: InfluxServer) -> InfluxV1:
    found = InfluxV1(InfluxSettings(url=influx.url, database=unique("canary").replace("-", "_")))
    found.ensure_database()
    return found


def test_counts_per_station_and_version(store: InfluxV1) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    seq = {"st-1": 0, "st-2": 0, "other-site-1": 0}
    lines: list[str] = []

    def event(
        station: str, version: str, suggested: str, chosen: str, *, shown: bool = True, site: str = "zuid"
    ) -> SortingEvent:
        seq[station] += 1
        found = make_event(
            seq[station],
            station=station,
            site=site,
            category=chosen,
            when=now - timedelta(minutes=10, seconds=seq[station]),
            suggestion=Suggestion(label=suggested, confidence=0.95, model_version=version, shown=shown),
            accepted=(suggested == chosen) if shown else None,
        )
        lines.append(event_line(found) if shown else blind_line(found))
        return found

    for _ in range(8):
        event("st-1", NEW, "pp", "pp")  # 8 accepted
    for _ in range(2):
        event("st-1", NEW, "pp", "pet")  # 2 corrected
    for _ in range(3):
        event("st-1", NEW, "pet", "pet", shown=False)  # 3 blind, right
    event("st-1", NEW, "pet", "pp", shown=False)  # 1 blind, wrong
    taken_back = event("st-1", NEW, "pp", "pp")  # accepted, then undone: counts for nothing
    undo = make_event(
        seq["st-1"] + 1,
        station="st-1",
        site="zuid",
        category="pp",
        when=now - timedelta(minutes=5),
        suggestion=taken_back.suggestion,
        accepted=True,
        undoes=taken_back.event_id,
    )
    lines.append(event_line(undo))
    for _ in range(5):
        event("st-2", OLD, "pp", "pp")
    event("st-2", OLD, "pp", "pet", shown=False)
    event("other-site-1", NEW, "pp", "pp", site="noord")  # another site: not counted
    lines.append(event_line(make_event(99, station="st-2", site="zuid", when=now - timedelta(minutes=3))))  # none
    old_event = make_event(
        100,
        station="st-2",
        site="zuid",
        when=now - timedelta(days=3),
        suggestion=Suggestion(label="pp", confidence=0.9, model_version=OLD),
        accepted=True,
    )
    lines.append(event_line(old_event))  # before the window: not counted
    store.write(lines)

    got = version_counts(store, "zuid", "plastic", [NEW, OLD], now - timedelta(days=1), now)
    assert got == {
        ("st-1", NEW): VersionCounts(shown=10, accepted=8, blind=4, blind_correct=3),
        ("st-2", OLD): VersionCounts(shown=5, accepted=5, blind=1, blind_correct=0),
    }
    assert got[("st-1", NEW)].acceptance == 0.8 and got[("st-1", NEW)].blind_accuracy == 0.75
    assert version_counts(store, "zuid", "plastic", [OLD], now - timedelta(days=4), now)[("st-2", OLD)].shown == 6
    assert version_counts(store, "zuid", "textile", [NEW, OLD], now - timedelta(days=1), now) == {}
