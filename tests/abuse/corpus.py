"""A deterministic corpus of hostile and broken MQTT messages for the hub, with valid events interleaved.

Every hostile message carries the reject reasons the hub may give it (a set where the contract could
reasonably name either, e.g. a year-9999 time is outside both the contract's absolute bounds and the hub's
plausibility window). Messages on topics the hub does not subscribe to carry no reason: the hub never sees
them. Valid events carry none either, and must be stored exactly once.

The payloads are written by hand here (JSON text built from key/value pairs, so a key can appear twice), not
with the contract's own models: the corpus checks the contract from the outside. Each hostile payload is a
valid message with one thing wrong, so its reason is clear; where a category needs two faults to make sense
(a deep array inside an event) the reasons allowed say so.

``SORTCENTRE_ABUSE_PAYLOADS`` sets the number of hostile messages (default 10,000, as in ``make test``).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_PAYLOADS = 10_000
MAX_PAYLOAD_BYTES = 8 * 1024  # the contract's limit (docs/mqtt.md); written here again on purpose
VALID_EVERY = 5  # one valid event after every this many hostile messages

SITE = "fuzz"
VALID_STATIONS = 40
ROOT = "sortcentre/v1"

# The reasons of the contract (RejectReason), spelled out: the corpus must not follow a renamed one.
BAD_TOPIC = "bad_topic"
TOO_LARGE = "too_large"
NOT_JSON = "not_json"
NOT_AN_OBJECT = "not_an_object"
UNKNOWN_SCHEMA_VERSION = "unknown_schema_version"
INVALID_FIELDS = "invalid_fields"
TOPIC_MISMATCH = "topic_mismatch"
TOO_DEEP = "too_deep"
DUPLICATE_KEY = "duplicate_key"
IMPLAUSIBLE_TIME = "implausible_time"
RETAINED_EVENT = "retained_event"

FAR_TIME = frozenset({IMPLAUSIBLE_TIME, INVALID_FIELDS})


def payload_count() -> int:
    return int(os.environ.get("SORTCENTRE_ABUSE_PAYLOADS", DEFAULT_PAYLOADS))


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    category: str
    reasons: frozenset[str]  # acceptable reject reasons; empty: valid (stored) or never delivered
    delivered: bool = True  # False: a topic the hub does not subscribe to
    event_id: str | None = None  # for a valid event: its id, to find it in the store

    @property
    def valid(self) -> bool:
        return self.delivered and not self.reasons


Pairs = list[tuple[str, object]]


class Raw(str):
    """A value written into the JSON text as it is (NaN, 1e400, a 5,000-digit number, nesting bombs)."""

    __slots__ = ()


def dumps(pairs: Pairs) -> str:
    """A JSON object from key/value pairs, keys in this order, a key given twice written twice."""
    parts = []
    for key, value in pairs:
        parts.append(f"{json.dumps(key)}:{_value(value)}")
    return "{" + ",".join(parts) + "}"


def _value(value: object) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, list) and value and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return dumps(value)  # a nested object given as pairs
    return json.dumps(value)


def topic(site: str, station: str, kind: str) -> str:
    return f"{ROOT}/{site}/{station}/{kind}"


def wire_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Corpus:
    """Builds the messages; ``now`` anchors every station time (valid ones lie within the last hour)."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.seqs: Counter[str] = Counter()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def recent(self) -> str:
        return wire_time(self.now - timedelta(milliseconds=self.rng.randrange(1000, 3_600_000)))

    # -- valid payloads ---------------------------------------------------------------------------------
    def event(self, station: str, seq: int, site: str = SITE) -> Pairs:
        label = self.rng.choice(["pp", "pe", "pet", "ps"])
        return [
            ("schema_version", 1),
            ("type", "sorted"),
            ("event_id", self.uuid()),
            ("site", site),
            ("station", station),
            ("stream", "plastic"),
            ("category", label),
            ("weight_kg", round(self.rng.uniform(0.01, 25.0), 3)),
            ("suggestion", [("label", label), ("confidence", 0.875), ("model_version", "fuzz-1")]),
            ("accepted", True),
            ("seq", seq),
            ("boot_id", self.uuid()),
            ("station_time", self.recent()),
            ("undoes", None),
        ]

    def status(self, station: str, site: str = SITE) -> Pairs:
        return [
            ("schema_version", 1),
            ("site", site),
            ("station", station),
            ("state", "online"),
            ("since", self.recent()),
            ("software_version", "1.0.0"),
        ]

    def heartbeat(self, station: str, site: str = SITE) -> Pairs:
        return [
            ("schema_version", 1),
            ("site", site),
            ("station", station),
            ("boot_id", self.uuid()),
            ("station_time", self.recent()),
            ("uptime_s", 12.5),
            ("scale", "ok"),
            ("camera", "ok"),
            ("model_version", "fuzz-1"),
            ("journal_depth", 0),
            ("oldest_unsent_age_s", None),
            ("clock_synced", True),
            ("events_made", 10),
            ("events_sent", 10),
            ("warnings", []),
            ("software_version", "1.0.0"),
        ]

    def valid_event(self) -> Message:
        station = f"fz-{self.rng.randrange(VALID_STATIONS)}"
        self.seqs[station] += 1
        pairs = self.event(station, self.seqs[station])
        text = dumps(pairs)
        if self.rng.random() < 0.02:  # now and then padded to exactly the size limit: still valid
            text = text[:-1] + " " * (MAX_PAYLOAD_BYTES - len(text.encode())) + "}"
        return Message(
            topic(SITE, station, "event"), text.encode(), "valid", frozenset(), event_id=str(dict(pairs)["event_id"])
        )

    def odd_valid_event(self) -> Message:
        """Legal by the contract although odd: free text that line protocol must escape, undo events."""
        station = f"fz-{self.rng.randrange(VALID_STATIONS)}"
        self.seqs[station] += 1
        pairs = self.event(station, self.seqs[station])
        odd = self.rng.choice(
            ['x" ,=\\', "a\u0000b\nc", "\u00e9\u4e2d\U0001f600", "m\\", 'weight_g=1i,items=99i 1"', "=1+2"]
        )
        fields = dict(pairs)
        fields["suggestion"] = [("label", fields["category"]), ("confidence", 0.5), ("model_version", odd)]
        if self.rng.random() < 0.5:
            fields["type"], fields["undoes"] = "undo", self.uuid()
        return Message(
            topic(SITE, station, "event"),
            dumps(list(fields.items())).encode(),
            "valid_odd",
            frozenset(),
            event_id=str(fields["event_id"]),
        )

    # -- hostile payloads -------------------------------------------------------------------------------
    def hostile_station(self) -> str:
        return f"bad-{self.rng.randrange(20)}"

    def hostile_event(self) -> tuple[str, Pairs]:
        station = self.hostile_station()
        return station, self.event(station, self.rng.randrange(1, 10**6))

    def wrong_field(self) -> Message:
        """One field of an event with a wrong type or an out-of-range value."""
        station, pairs = self.hostile_event()
        field, bad = self.rng.choice(WRONG_VALUES)
        return Message(
            topic(SITE, station, "event"),
            dumps(_replace(pairs, field, bad)).encode(),
            "wrong_field",
            _number_reasons(bad),
        )

    def suggestion_field(self) -> Message:
        station, pairs = self.hostile_event()
        label = dict(pairs)["category"]
        suggestion: Pairs = [("label", label), ("confidence", 0.5), ("model_version", "fuzz-1")]
        key, bad = self.rng.choice(WRONG_SUGGESTION)
        suggestion = [*suggestion, (key, bad)] if key == "extra" else _replace(suggestion, key, bad)
        return Message(
            topic(SITE, station, "event"),
            dumps(_replace(pairs, "suggestion", suggestion)).encode(),
            "wrong_suggestion",
            _number_reasons(bad),
        )

    def schema_version(self) -> Message:
        station, pairs = self.hostile_event()
        bad = self.rng.choice([3, 0, -1, "1", 1.0, True, None, [1], 10**20, Raw("1.0e0")])
        pairs = (
            [(k, v) for k, v in pairs if k != "schema_version"]
            if bad is None
            else _replace(pairs, "schema_version", bad)
        )
        return Message(
            topic(SITE, station, "event"), dumps(pairs).encode(), "schema_version", frozenset({UNKNOWN_SCHEMA_VERSION})
        )

    def missing_key(self) -> Message:
        station, pairs = self.hostile_event()
        gone = self.rng.choice([k for k, _ in pairs if k != "schema_version"])
        return Message(
            topic(SITE, station, "event"),
            dumps([(k, v) for k, v in pairs if k != gone]).encode(),
            "missing_key",
            frozenset({INVALID_FIELDS}),
        )

    def extra_key(self) -> Message:
        station, pairs = self.hostile_event()
        key = self.rng.choice(["extra", "Seq", "site ", "__proto__", "constructor", "", "schema_version2", "\u00e9"])
        pairs.insert(self.rng.randrange(1, len(pairs) + 1), (key, self.rng.choice([1, "x", None, [], True])))
        return Message(topic(SITE, station, "event"), dumps(pairs).encode(), "extra_key", frozenset({INVALID_FIELDS}))

    def duplicate_key(self) -> Message:
        """A key named twice: Python's json keeps the last, other parsers the first; the contract refuses."""
        station, pairs = self.hostile_event()
        index = self.rng.randrange(len(pairs))
        key, value = pairs[index]
        if key == "suggestion" and self.rng.random() < 0.5:  # inside the nested object this time
            inner = list(value)  # type: ignore[call-overload]
            inner.append(inner[self.rng.randrange(len(inner))])
            pairs[index] = (key, inner)
        else:
            pairs.insert(self.rng.randrange(index + 1, len(pairs) + 1), (key, value))
        return Message(
            topic(SITE, station, "event"), dumps(pairs).encode(), "duplicate_key", frozenset({DUPLICATE_KEY})
        )

    def deep(self) -> Message:
        """Nesting and element bombs within the size limit, bare or inside an event, on any station topic."""
        station = self.hostile_station()
        kind = self.rng.choice(["event", "event", "status", "heartbeat"])
        depth = self.rng.choice([200, 500, 1000, 2000, 4000])
        shape = self.rng.randrange(6)
        pairs = {"event": self.event(station, 7), "status": self.status(station), "heartbeat": self.heartbeat(station)}[
            kind
        ]
        if shape == 0:
            text, reasons = "[" * depth + "]" * depth, {TOO_DEEP}
        elif shape == 1:
            d = min(depth, 1300)
            text, reasons = '{"a":' * d + "1" + "}" * d, {TOO_DEEP}
        elif shape == 2:
            d = min(depth, 2000)
            text, reasons = dumps(_replace(pairs, pairs[-1][0], Raw("[" * d + "]" * d))), {TOO_DEEP}
        elif shape == 3:
            d = min(depth, 1000)
            text, reasons = '[{"a":' * d + "[]" + "}]" * d, {TOO_DEEP}
        elif shape == 4:  # an element bomb: thousands of tiny elements, shallow
            n = self.rng.choice([2000, 3500, 4000])
            text, reasons = "[" + ",".join(["0"] * n) + "]", {TOO_DEEP, NOT_AN_OBJECT}
        else:  # thousands of elements inside an event field
            n = self.rng.choice([1500, 2500, 3000])
            text = dumps(_replace(pairs, pairs[-1][0], Raw("[" + ",".join(["1"] * n) + "]")))
            reasons = {TOO_DEEP, INVALID_FIELDS}
        assert len(text.encode()) <= MAX_PAYLOAD_BYTES, (shape, depth, len(text))
        return Message(topic(SITE, station, kind), text.encode(), f"deep_{kind}", frozenset(reasons))

    def mild_nesting(self) -> Message:
        """Nested a little deeper than the contract needs: either reason will do."""
        station, pairs = self.hostile_event()
        depth = self.rng.randrange(5, 60)
        return Message(
            topic(SITE, station, "event"),
            dumps(_replace(pairs, "undoes", Raw("[" * depth + "]" * depth))).encode(),
            "mild_nesting",
            frozenset({INVALID_FIELDS, TOO_DEEP}),
        )

    def far_time(self) -> Message:
        station, pairs = self.hostile_event()
        when, reasons = self.rng.choice(self.far_times())
        return Message(
            topic(SITE, station, "event"), dumps(_replace(pairs, "station_time", when)).encode(), "far_time", reasons
        )

    def far_times(self) -> list[tuple[str, frozenset[str]]]:
        near = frozenset({IMPLAUSIBLE_TIME})
        return [
            ("2300-01-01T00:00:00.000Z", FAR_TIME),
            ("0001-01-01T00:00:00.000Z", FAR_TIME),
            ("9999-12-31T23:59:59.999Z", FAR_TIME),
            ("1677-09-21T00:12:43.145Z", FAR_TIME),
            ("2262-04-11T23:47:16.855Z", FAR_TIME),
            ("1970-01-01T00:00:00.000Z", FAR_TIME),
            ("1900-02-28T12:00:00.000Z", FAR_TIME),
            ("2100-06-01T00:00:00.000Z", FAR_TIME),
            (wire_time(self.now - timedelta(days=3650)), FAR_TIME),
            (wire_time(self.now + timedelta(days=2)), near),
            (wire_time(self.now + timedelta(days=30)), near),
            (wire_time(self.now - timedelta(days=401)), near),
            (wire_time(self.now - timedelta(days=500)), near),
        ]

    def odd_time(self) -> Message:
        """Not RFC 3339 (or not a time at all): the contract takes only 2026-11-27T09:41:07.123Z and kin."""
        station, pairs = self.hostile_event()
        recent = self.recent()
        bad = self.rng.choice(
            [
                recent.replace("T", " "),
                str(int(self.now.timestamp())),
                str(int(self.now.timestamp() * 1000)),
                int(self.now.timestamp()),
                self.now.timestamp(),
                recent[:-1],  # no time zone
                recent[:10],  # a date only
                recent[:10] + "T25:00:00.000Z",
                recent[:5] + "13" + recent[7:],
                recent[:8] + "32" + recent[10:],
                "yesterday",
                "",
                None,
                recent.replace("-", "/"),
                recent + "Z",
            ]
        )
        return Message(
            topic(SITE, station, "event"),
            dumps(_replace(pairs, "station_time", bad)).encode(),
            "odd_time",
            frozenset({INVALID_FIELDS}),
        )

    def tiny_weight(self) -> Message:
        """Weights that round to 0 g: stored as 0 g with one item, they would make an item out of nothing."""
        station, pairs = self.hostile_event()
        bad = self.rng.choice([0.0004, 0.0001, 0.000499, 1e-9, 1e-300, Raw("5e-324")])
        return Message(
            topic(SITE, station, "event"),
            dumps(_replace(pairs, "weight_kg", bad)).encode(),
            "tiny_weight",
            frozenset({INVALID_FIELDS}),
        )

    def oversized(self) -> Message:
        station, pairs = self.hostile_event()
        kind = self.rng.choice(["event", "event", "status", "heartbeat"])
        size = self.rng.choice([MAX_PAYLOAD_BYTES + 1, MAX_PAYLOAD_BYTES + 7, 12_000, 65_536, 100_000])
        style = self.rng.randrange(3)
        if style == 0:  # a valid event, padded with white space
            text = dumps(pairs)
            body = (text[:-1] + " " * (size - len(text)) + "}").encode()
        elif style == 1:  # a long string in an extra field
            text = dumps([*pairs, ("pad", "")])
            body = (text[:-3] + '"' + "x" * (size - len(text)) + '"}').encode()
        else:
            body = self.rng.randbytes(size)
        assert len(body) == size
        return Message(topic(SITE, station, kind), body, "oversized", frozenset({TOO_LARGE}))

    def invalid_utf8(self) -> Message:
        station, pairs = self.hostile_event()
        text = dumps(pairs).encode()
        bad = self.rng.choice([b"\xff", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"])
        at = text.index(b'"plastic"') + 2
        # Python's json reads a lone surrogate's bytes ("surrogatepass"); the field then fails its pattern.
        reasons = {NOT_JSON, INVALID_FIELDS} if bad == b"\xed\xa0\x80" else {NOT_JSON}
        return Message(topic(SITE, station, "event"), text[:at] + bad + text[at:], "invalid_utf8", frozenset(reasons))

    def not_json(self) -> Message:
        station = self.hostile_station()
        kind = self.rng.choice(["event", "event", "status", "heartbeat"])
        good = dumps(self.event(station, 3))
        body = self.rng.choice(
            [
                b"",
                b" ",
                b"{",
                b"}",
                b"nul",
                b"{'schema_version': 1}",
                good[: self.rng.randrange(1, len(good) - 1)].encode(),
                good.encode() + b"}",
                good.encode() + b" {}",
                b'{"schema_version": 1,}',
                self.rng.randbytes(self.rng.randrange(1, 400)) + b"\xff",
                b"\x00" * 16,
            ]
        )
        return Message(topic(SITE, station, kind), body, "not_json", frozenset({NOT_JSON}))

    def not_an_object(self) -> Message:
        station = self.hostile_station()
        kind = self.rng.choice(["event", "status", "heartbeat"])
        body = self.rng.choice([b"[]", b'"event"', b"1", b"null", b"true", b"1.5", b"[{}]", b'["schema_version", 1]'])
        return Message(topic(SITE, station, kind), body, "not_an_object", frozenset({NOT_AN_OBJECT}))

    def mismatch(self) -> Message:
        """A valid payload of one station on another station's topic."""
        station, pairs = self.hostile_event()
        other = self.rng.choice([(SITE, station + "x"), ("elsewhere", station), ("elsewhere", "other")])
        kind = self.rng.choice(["event", "event", "status", "heartbeat"])
        pairs = {"event": pairs, "status": self.status(station), "heartbeat": self.heartbeat(station)}[kind]
        return Message(topic(*other, kind), dumps(pairs).encode(), "topic_mismatch", frozenset({TOPIC_MISMATCH}))

    def wrong_kind(self) -> Message:
        """A status on an event topic, an event on a heartbeat topic, and so on."""
        station = self.hostile_station()
        payloads = {
            "event": self.event(station, 5),
            "status": self.status(station),
            "heartbeat": self.heartbeat(station),
        }
        sent, on = self.rng.sample(sorted(payloads), 2)
        return Message(
            topic(SITE, station, on), dumps(payloads[sent]).encode(), "wrong_kind", frozenset({INVALID_FIELDS})
        )

    def broken_live(self) -> Message:
        """Status and heartbeat messages with one field wrong."""
        station = self.hostile_station()
        if self.rng.random() < 0.5:
            pairs, bad = self.status(station), self.rng.choice(WRONG_STATUS)
            kind = "status"
        else:
            pairs, bad = self.heartbeat(station), self.rng.choice(WRONG_HEARTBEAT)
            kind = "heartbeat"
        field, value = bad
        if value is MISSING:
            pairs = [(k, v) for k, v in pairs if k != field]
        elif field == "extra":
            pairs = [*pairs, ("extra", value)]
        else:
            pairs = _replace(pairs, field, value)
        return Message(topic(SITE, station, kind), dumps(pairs).encode(), f"broken_{kind}", frozenset({INVALID_FIELDS}))

    def live_duplicate_or_version(self) -> Message:
        station = self.hostile_station()
        kind = self.rng.choice(["status", "heartbeat"])
        pairs = self.status(station) if kind == "status" else self.heartbeat(station)
        if self.rng.random() < 0.5:
            pairs.append(pairs[self.rng.randrange(1, len(pairs))])
            return Message(topic(SITE, station, kind), dumps(pairs).encode(), f"dup_{kind}", frozenset({DUPLICATE_KEY}))
        pairs = _replace(pairs, "schema_version", self.rng.choice([3, "1", None, 1.5]))
        return Message(
            topic(SITE, station, kind), dumps(pairs).encode(), f"version_{kind}", frozenset({UNKNOWN_SCHEMA_VERSION})
        )

    def bad_topic(self) -> Message:
        """Topics the hub's subscriptions match (``+`` takes any level, even an empty one) that break the contract."""
        kind = self.rng.choice(["event", "event", "status", "heartbeat"])
        site, station = self.rng.choice(
            [
                ("Fuzz", "bad-1"),
                (SITE, "BAD-1"),
                ("", "bad-1"),
                (SITE, ""),
                ("-fuzz", "bad-1"),
                (SITE, "bad-1-"),
                ("f_z", "bad-1"),
                (SITE, "b" * 41),
                ("z\u00f6lle", "bad-1"),
                (SITE, "bad 1"),
                (SITE, "bad\u200b1"),
                ("$fuzz", "bad-1"),
            ]
        )
        body = dumps(self.event(station, 1, site) if kind == "event" else self.status(station, site)).encode()
        return Message(topic(site, station, kind), body, "bad_topic", frozenset({BAD_TOPIC}))

    def unsubscribed(self) -> Message:
        """Legal MQTT topics the hub never subscribed to: it must not see, count or store them."""
        station, pairs = self.hostile_event()
        where = self.rng.choice(
            [
                f"sortcentre/v2/{SITE}/{station}/event",
                f"sortcentre/v1/{SITE}/{station}/config",
                f"sortcentre/v1/{SITE}/{station}/events",
                f"sortcentre/v1/{SITE}/{station}/EVENT",
                f"sortcentre/v1/{SITE}/{station}/event/extra",
                f"sortcentre/v1/{SITE}/event",
                f"/sortcentre/v1/{SITE}/{station}/event",
                f"Sortcentre/v1/{SITE}/{station}/event",
                f"sortcentre/v1/{SITE}/{station}/event ",
                "sortcentre",
                "x",
            ]
        )
        return Message(where, dumps(pairs).encode(), "unsubscribed", frozenset(), delivered=False)


MISSING = object()

WRONG_VALUES: list[tuple[str, object]] = [
    ("type", 1),
    ("type", None),
    ("type", "SORTED"),
    ("type", "undo"),  # an undo must name what it undoes
    ("type", "deleted"),
    ("type", []),
    ("event_id", "not-a-uuid"),
    ("event_id", 123),
    ("event_id", None),
    ("event_id", ""),
    ("event_id", "g" * 8 + "-" + "0" * 4 + "-" + "0" * 4 + "-" + "0" * 4 + "-" + "0" * 12),
    ("event_id", {"id": 1}),
    ("site", "Fuzz"),
    ("site", ""),
    ("site", 5),
    ("site", None),
    ("station", "-bad"),
    ("station", "b" * 41),
    ("station", ["bad-1"]),
    ("stream", "Plastic"),
    ("stream", "a b"),
    ("stream", None),
    ("category", "p\u00e9"),
    ("category", "glass"),  # accepted=true with another label than the suggestion's
    ("category", 7),
    ("category", "x" * 100),
    ("weight_kg", 0),
    ("weight_kg", 0.0),
    ("weight_kg", -0.25),
    ("weight_kg", 1000.5),
    ("weight_kg", 10**30),
    ("weight_kg", "0.25"),
    ("weight_kg", None),
    ("weight_kg", True),
    ("weight_kg", [0.25]),
    ("weight_kg", Raw("NaN")),
    ("weight_kg", Raw("Infinity")),
    ("weight_kg", Raw("-Infinity")),
    ("weight_kg", Raw("1e400")),
    ("weight_kg", Raw("-1e400")),
    ("suggestion", "pp"),
    ("suggestion", 1),
    ("suggestion", []),
    ("suggestion", Raw("{}")),
    ("suggestion", None),  # while accepted is true
    ("accepted", "true"),
    ("accepted", 1),
    ("accepted", None),  # while there is a suggestion
    ("seq", 0),
    ("seq", -1),
    ("seq", 2**53 + 1),
    ("seq", 2**64),
    ("seq", 1.5),
    ("seq", "5"),
    ("seq", None),
    ("seq", True),
    ("seq", Raw("1" + "0" * 400)),
    ("seq", Raw("9" * 5000)),
    ("boot_id", "00000000-0000-0000-0000-00000000000"),
    ("boot_id", 0),
    ("boot_id", None),
    ("station_time", None),
    ("station_time", 0),
    ("station_time", []),
    ("undoes", "00000000-0000-0000-0000-000000000001"),  # a sorted event undoes nothing
    ("undoes", "x"),
    ("undoes", 1),
]

# Numbers that Python's json reads as NaN/inf or refuses (too many digits) where a strict parser says "not JSON".
OVERFLOWING = {"NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 5000, "1" + "0" * 400}


def _number_reasons(value: object) -> frozenset[str]:
    if isinstance(value, Raw) and str(value) in OVERFLOWING:
        return frozenset({INVALID_FIELDS, NOT_JSON})
    return frozenset({INVALID_FIELDS})


WRONG_SUGGESTION: list[tuple[str, object]] = [
    ("label", "PP"),
    ("label", ""),
    ("label", None),
    ("label", "glass"),  # accepted=true with another label than the category
    ("confidence", 1.5),
    ("confidence", -0.1),
    ("confidence", "0.9"),
    ("confidence", None),
    ("confidence", Raw("1e400")),
    ("model_version", ""),
    ("model_version", "x" * 65),
    ("model_version", 1),
    ("extra", 1),
]

WRONG_STATUS: list[tuple[str, object]] = [
    ("state", "exploded"),
    ("state", None),
    ("state", 1),
    ("since", "yesterday"),
    ("since", None),
    ("since", 0),
    ("software_version", ""),
    ("software_version", "v" * 65),
    ("site", "Fuzz"),
    ("state", MISSING),
    ("since", MISSING),
    ("extra", "x"),
]

WRONG_HEARTBEAT: list[tuple[str, object]] = [
    ("uptime_s", -1),
    ("uptime_s", "12"),
    ("scale", "broken"),
    ("camera", None),
    ("journal_depth", -1),
    ("journal_depth", 1.5),
    ("oldest_unsent_age_s", -3),
    ("clock_synced", "yes"),
    ("events_made", -5),
    ("events_sent", None),
    ("warnings", ["journal_full"] * 17),
    ("warnings", ["Journal-Full"]),
    ("warnings", "journal_full"),
    ("boot_id", "nope"),
    ("station_time", "now"),
    ("station_time", MISSING),
    ("extra", 1),
]


def _replace(pairs: Pairs, key: str, value: object) -> Pairs:
    return [(k, value if k == key else v) for k, v in pairs]


# How often each hostile category comes (relative weights).
CATEGORIES: list[tuple[Callable[[Corpus], Message], int]] = [
    (Corpus.wrong_field, 20),
    (Corpus.suggestion_field, 5),
    (Corpus.schema_version, 4),
    (Corpus.missing_key, 6),
    (Corpus.extra_key, 4),
    (Corpus.duplicate_key, 6),
    (Corpus.deep, 5),
    (Corpus.mild_nesting, 2),
    (Corpus.far_time, 6),
    (Corpus.odd_time, 6),
    (Corpus.tiny_weight, 3),
    (Corpus.oversized, 2),
    (Corpus.invalid_utf8, 3),
    (Corpus.not_json, 4),
    (Corpus.not_an_object, 3),
    (Corpus.mismatch, 4),
    (Corpus.wrong_kind, 3),
    (Corpus.broken_live, 6),
    (Corpus.live_duplicate_or_version, 3),
    (Corpus.bad_topic, 4),
    (Corpus.unsubscribed, 3),
]


def generate(hostile: int, seed: int = 13, now: datetime | None = None) -> list[Message]:
    """``hostile`` hostile messages, every category at least once, a valid event after every VALID_EVERY."""
    corpus = Corpus(seed, now or datetime.now(UTC))
    makers = [maker for maker, _ in CATEGORIES]
    weights = [weight for _, weight in CATEGORIES]
    out: list[Message] = []
    for i in range(hostile):
        maker = makers[i] if i < len(makers) else corpus.rng.choices(makers, weights)[0]
        out.append(maker(corpus))
        if i % VALID_EVERY == VALID_EVERY - 1:
            out.append(corpus.odd_valid_event() if corpus.rng.random() < 0.05 else corpus.valid_event())
    return out


def expected_reasons(messages: list[Message]) -> Iterator[frozenset[str]]:
    """The acceptable reasons of each message the hub sees and must refuse."""
    return (m.reasons for m in messages if m.delivered and m.reasons)
