"""MQTT topics of wire contract v1.

Every topic lives under one versioned root: ``sortcentre/v1/{site}/{station}/{kind}``. Sites and stations are
slugs, so a topic segment can never contain a wildcard (``+``, ``#``) or a level separator (``/``): MQTT 3.1.1
§4.7.1 forbids wildcards in publish topics and a slug cannot smuggle one in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

ROOT = "sortcentre"
CONTRACT_VERSION = 1
PREFIX = f"{ROOT}/v{CONTRACT_VERSION}"

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
_SLUG = re.compile(SLUG_PATTERN)


class TopicKind(StrEnum):
    EVENT = "event"  # station -> hub, QoS 1, one message per sorting event (or undo)
    STATUS = "status"  # station -> hub, QoS 1, retained; the broker publishes the last will "offline"
    HEARTBEAT = "heartbeat"  # station -> hub, QoS 0, every few seconds, health figures
    CONFIG = "config"  # hub -> station, QoS 1, retained: the station's sorting settings (RemoteConfig)
    MODEL = "model"  # hub -> station, QoS 1, retained: the model the station should run (ModelManifest)


# What the hub sends to a station; a station publishes only the other kinds (the broker's ACL enforces it).
HUB_TO_STATION = frozenset({TopicKind.CONFIG, TopicKind.MODEL})


class TopicError(ValueError):
    """A topic that is not part of the contract."""


@dataclass(frozen=True, slots=True)
class StationTopic:
    site: str
    station: str
    kind: TopicKind

    def __str__(self) -> str:
        return f"{PREFIX}/{self.site}/{self.station}/{self.kind.value}"


def check_slug(value: str, what: str) -> str:
    if not _SLUG.fullmatch(value):
        raise TopicError(f"{what} {value!r} is not a slug (lowercase letters, digits and '-', 1-40 chars)")
    return value


def topic(site: str, station: str, kind: TopicKind) -> str:
    """Build a publish topic; rejects anything that is not a slug."""
    return str(StationTopic(check_slug(site, "site"), check_slug(station, "station"), kind))


def subscription(kind: TopicKind, site: str = "+", station: str = "+") -> str:
    """A subscription filter for one kind of topic, all sites and stations by default."""
    if site != "+":
        check_slug(site, "site")
    if station != "+":
        check_slug(station, "station")
    return f"{PREFIX}/{site}/{station}/{kind.value}"


def shared_subscription(group: str, kind: TopicKind) -> str:
    """MQTT 5 / Mosquitto shared subscription: the broker spreads messages over the group's members."""
    check_slug(group, "group")
    return f"$share/{group}/{subscription(kind)}"


@lru_cache(maxsize=4096)
def parse_topic(value: str) -> StationTopic:
    """Parse a received topic; raise TopicError for anything outside contract v1."""
    parts = value.split("/")
    if len(parts) != 5 or parts[0] != ROOT:
        raise TopicError(f"topic {value!r} is not sortcentre/v<N>/<site>/<station>/<kind>")
    if parts[1] != f"v{CONTRACT_VERSION}":
        raise TopicError(f"topic {value!r} has contract version {parts[1]!r}; this side speaks v{CONTRACT_VERSION}")
    try:
        kind = TopicKind(parts[4])
    except ValueError:
        raise TopicError(f"topic {value!r} has unknown kind {parts[4]!r}") from None
    return StationTopic(check_slug(parts[2], "site"), check_slug(parts[3], "station"), kind)
