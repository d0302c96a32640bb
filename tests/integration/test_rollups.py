"""Rollups stay exact: long ranges answered from minute/hour/day rollups equal the sum over the raw events,
to the gram, with late arrivals and undos among them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from core.contract import TopicKind, topic
from core.transport.mqtt import MqttClient
from core.transport.settings import MqttSettings
from hub.service import Hub
from hub.storage.throughput import throughput
from local_servers import MosquittoServer
from local_servers.fleet import make_event
from tests.conftest import unique, wait_until
from tests.integration.conftest import influx_query, stored_count


def raw_totals(hub: Hub, start: datetime, end: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    rows = {}
    query = (
        f'SELECT sum("weight_g"), sum("items") FROM "sorting_event" WHERE time >= \'{start:%Y-%m-%dT%H:%M:%SZ}\' '
        f'AND time < \'{end:%Y-%m-%dT%H:%M:%SZ}\' GROUP BY "station", "category"'
    )
    settings = hub.settings.influx
    import httpx

    series = httpx.get(f"{settings.url}/query", params={"db": settings.database, "q": query}).json()["results"][0]
    for s in series.get("series", []):
        rows[(s["tags"]["station"], s["tags"]["category"])] = (s["values"][0][1], s["values"][0][2])
    return rows


def test_rollup_answers_equal_raw_sums(mosquitto: MosquittoServer, hub: Hub) -> None:
    rng = random.Random(3)
    client = MqttClient(MqttSettings(host=mosquitto.host, port=mosquitto.port), unique("fleet"))
    client.start()
    assert client.wait_connected(10)
    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    seqs = {"zwolle-plastic-1": 0, "ommen-textile-1": 0}
    for _ in range(400):
        station = rng.choice(list(seqs))
        seqs[station] += 1
        site, stream, categories = (
            ("zwolle", "plastic", ["pp", "pet"]) if station.startswith("zwolle") else ("ommen", "textile", ["creme"])
        )
        when = now - timedelta(seconds=rng.randint(60, 4 * 86400))  # the last four days, in any order: late data
        events.append(
            make_event(
                seqs[station],
                station=station,
                site=site,
                stream=stream,
                category=rng.choice(categories),
                weight_kg=round(rng.uniform(0.01, 3), 3),
                when=when,
            )
        )
    for original in events[:20]:  # some taken back
        seqs[original.station] += 1
        events.append(
            make_event(
                seqs[original.station],
                station=original.station,
                site=original.site,
                stream=original.stream,
                category=original.category,
                weight_kg=original.weight_kg,
                when=original.station_time + timedelta(seconds=5),
                undoes=original.event_id,
            )
        )
    for event in events:
        client.publish(topic(event.site, event.station, TopicKind.EVENT), event.to_json())
    # Acknowledged means stored and rolled up: the ingest counts an event after both.
    assert wait_until(lambda: hub.metrics.events_stored._value.get() == len(events), 60)
    assert stored_count(hub) == len(events)
    client.stop()
    assert influx_query(hub, 'SELECT count("items") FROM "rollups"."throughput_1d"')  # the day layer exists

    for start, end in [
        (now - timedelta(days=5), now + timedelta(minutes=1)),
        (now - timedelta(days=3, hours=7, seconds=13), now - timedelta(hours=2, seconds=41)),
        (now - timedelta(hours=26), now - timedelta(hours=1)),
    ]:
        expected = raw_totals(hub, start, end)
        got = {(r.station, r.category): (round(r.kg * 1000), r.items) for r in throughput(hub.store, start, end)}
        assert got == expected, (start, end)


def test_rebuild_after_a_direct_load(hub: Hub) -> None:
    """Events loaded around the ingest (a migration, the year benchmark) get their rollups from rebuild()."""
    from hub.storage.points import event_line
    from hub.storage.rollups import rebuild

    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(5)
    events = [
        make_event(
            seq,
            category=rng.choice(["pp", "pet"]),
            weight_kg=round(rng.uniform(0.01, 2), 3),
            when=now - timedelta(minutes=rng.randint(1, 9 * 24 * 60)),
        )
        for seq in range(1, 301)
    ]
    hub.store.write(event_line(e) for e in events)
    start, end = now - timedelta(days=10), now + timedelta(minutes=1)
    rebuild(hub.store, start, end)
    got = {(r.station, r.category): (round(r.kg * 1000), r.items) for r in throughput(hub.store, start, end)}
    assert got == raw_totals(hub, start, end)
