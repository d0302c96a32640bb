"""Remote config at the hub (docs/fleet.md): an admin's new sorting settings for a station are validated with the
station's own models (config.remote), stored as the station's next version (hub/fleet/config_store.py) and
published retained, QoS 1, on the station's config topic, where the station gets them now or when it next
connects.

The hub publishes with its live-status client, an ordinary (auto-acknowledging) connection. After every
(re)connect of that client it publishes each station's latest version again: a broker that lost its retained
messages (a new broker, one without persistence) still gives every station the config the hub holds. A station
recognises a config it already applied and leaves it alone.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from config.remote import SettingsError, parse_settings
from core.contract import ContractError, TopicKind, topic
from core.contract.fleet import RemoteConfig, decode_from_hub
from core.transport.protocol import MqttLike
from hub.fleet.config_store import ConfigStore, ConfigVersion

logger = logging.getLogger(__name__)


class RemoteConfigs:
    """The hub's remote config: the store, and the connection it publishes on (none yet: stored only)."""

    def __init__(self, store: ConfigStore, mqtt: MqttLike | None = None) -> None:
        self.store = store
        self._mqtt: MqttLike | None = None
        if mqtt is not None:
            self.attach(mqtt)

    def attach(self, mqtt: MqttLike) -> None:
        self._mqtt = mqtt
        mqtt.add_connected_listener(self.publish_all)

    def put(self, station: str, site: str, settings: Any, changed_by: str) -> tuple[ConfigVersion, bool]:
        """Validate, store and publish; (the stored version, whether it left for the broker).

        Raises SettingsError, naming the key, for settings a station would refuse; nothing is stored then."""
        parsed = parse_settings(settings)
        clean = parsed.model_dump(mode="json", exclude_none=True)
        if not clean.get("vision"):
            clean.pop("vision", None)
        # The exact message the station will decode, checked here with the station's bounds (size, nesting).
        probe = message(ConfigVersion(station, site, 1_000_000, clean, changed_by, datetime.now(UTC)))
        try:
            decode_from_hub(topic(site, station, TopicKind.CONFIG), probe.to_json())
        except ContractError as exc:
            raise SettingsError(f"settings: {exc.detail}") from None
        stored = self.store.put(station, site, clean, changed_by)
        return stored, self.publish(stored)

    def publish(self, version: ConfigVersion) -> bool:
        """Publish ``version`` retained on its station's config topic; False when there is no connection to do it
        (it goes out at the next connect, with every station's latest)."""
        if self._mqtt is None:
            return False
        where = topic(version.site, version.station, TopicKind.CONFIG)
        mid = self._mqtt.publish(where, message(version).to_json(), qos=1, retain=True)
        if mid is None:
            logger.warning("remote config %s not published now: it goes out when the hub reconnects", version.version)
            return False
        return True

    def publish_all(self) -> None:
        """Every station's latest version again (runs on the MQTT thread after each connect: never raises)."""
        try:
            for version in self.store.all_latest():
                self.publish(version)
        except Exception:  # the next connect tries again; the station keeps what it has meanwhile
            logger.exception("could not publish the stations' remote configs after connecting")


def message(version: ConfigVersion) -> RemoteConfig:
    return RemoteConfig(
        site=version.site,
        station=version.station,
        version=version.version,
        issued_at=version.changed_at,
        settings=version.settings,
    )
