"""The station's side of remote config (docs/fleet.md): the sorting settings the hub holds for this station.

The hub publishes a ``RemoteConfig`` retained on the station's own config topic. The station

- validates it on the MQTT thread (``decode_from_hub``, then config.remote: the same models as its file, applied
  onto its file's config so that the station's own checks run too) and refuses one that does not validate,
  keeping the settings it runs and saying why, naming the key, in every heartbeat (``config_error``) and with
  the warning code ``config_refused``;
- applies an accepted one on the agent's thread between items (``step`` with the phase idle), never in the
  middle of one: the item on the plate keeps the categories and thresholds it started with, the next one uses
  the new ones;
- keeps the last applied message on disk next to its journal (written whole, then renamed) and applies it again
  at start, before it connects: a station that reboots without its broker runs what it ran before. A stored
  config that no longer validates (the file changed under it) is logged as an error and ignored.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.remote import MAX_ERROR_CHARS, SettingsError, apply_raw
from config.station import StationConfig
from core.contract import ContractError, TopicKind, topic
from core.contract.fleet import RemoteConfig, decode_from_hub
from core.transport.protocol import InboundMessage, MqttLike

logger = logging.getLogger(__name__)

STORE_SUFFIX = ".remote-config.json"
WARNING_REFUSED = "config_refused"


def stored_path(config: StationConfig) -> Path:
    """Where the last applied remote config is kept: beside the journal, on the station's own disk."""
    journal = config.journal.path
    return journal.with_name(journal.stem + STORE_SUFFIX)


@dataclass(frozen=True, slots=True)
class _Accepted:
    message: RemoteConfig
    payload: bytes  # as received: stored as is, and compared with the retained copy the broker sends again
    config: StationConfig


class RemoteConfigLink:
    """The remote config of one station: what it applied, what waits to be applied, why the latest was refused."""

    def __init__(self, file_config: StationConfig, path: Path | None = None) -> None:
        self._file = file_config
        self.topic = topic(file_config.station.site, file_config.station.id, TopicKind.CONFIG)
        self.path = path if path is not None else stored_path(file_config)
        self._lock = threading.Lock()
        self._pending: _Accepted | None = None
        self._last_payload: bytes | None = None
        self._refusal_news = False
        self.applied: RemoteConfig | None = None
        self.error: str | None = None
        self.current = file_config  # what the station runs: its file, with the applied remote config in place
        self._load_stored()

    # -- at start --------------------------------------------------------------------------------------
    def _load_stored(self) -> None:
        try:
            payload = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as exc:
            logger.error("cannot read the stored remote config %s (%s): running the file's settings", self.path, exc)
            return
        try:
            accepted = self._validate(payload)
        except (ContractError, SettingsError) as exc:
            reason = exc.detail if isinstance(exc, ContractError) else str(exc)
            logger.error(
                "the stored remote config %s no longer applies (%s): IGNORED, the station runs its file's settings "
                "until the hub sends one that applies",
                self.path,
                reason,
            )
            self.error = _sentence(f"stored {reason}" if isinstance(exc, SettingsError) else f"stored: {reason}")
            return
        self.applied, self.current, self._last_payload = accepted.message, accepted.config, payload
        logger.info("remote config %s applied at start (kept from before)", accepted.message.version)

    def _validate(self, payload: bytes) -> _Accepted:
        _ref, message = decode_from_hub(self.topic, payload)
        assert isinstance(message, RemoteConfig)  # what the config topic decodes to
        try:
            _settings, config = apply_raw(self._file, message.settings)
        except SettingsError as exc:
            raise SettingsError(f"config {message.version} refused: {exc}") from None
        return _Accepted(message, payload, config)

    # -- from the hub (MQTT thread) --------------------------------------------------------------------
    def attach(self, mqtt: MqttLike) -> None:
        """Subscribe to this station's config topic (again after every reconnect: the broker sends the retained
        config each time; one already applied is recognised and left alone)."""
        mqtt.subscribe(self.topic, self._on_message, qos=1)

    def _on_message(self, message: InboundMessage) -> None:
        """paho's network thread: validates and hands over; nothing may escape."""
        try:
            self.receive(message.payload)
        except Exception:  # a bug here must not end the MQTT thread; the station keeps its settings
            logger.exception("remote config on %s could not be handled; the station keeps its settings", self.topic)

    def receive(self, payload: bytes) -> None:
        """A config message from the hub: accepted (applied before the next item) or refused (the reason kept)."""
        with self._lock:
            if payload == self._last_payload:
                return  # the retained copy again, after a reconnect
            self._last_payload = payload
        try:
            accepted = self._validate(payload)
        except ContractError as exc:
            self._refuse(f"config message refused ({exc.reason.value}): {exc.detail}")
            return
        except SettingsError as exc:
            self._refuse(str(exc))
            return
        with self._lock:
            self._pending = accepted
            self.error = None
        logger.info("remote config %s accepted: the next item uses it", accepted.message.version)

    def _refuse(self, reason: str) -> None:
        applied = self.applied.version if self.applied is not None else "from the station's file"
        logger.warning("%s; the station keeps its settings (config %s)", reason, applied)
        with self._lock:
            self.error = _sentence(reason)
            self._refusal_news = True

    # -- on the agent's thread -------------------------------------------------------------------------
    def step(self, idle: bool, apply: Callable[[StationConfig], None]) -> bool:
        """Apply an accepted config when ``idle`` (between items), with ``apply``; True when there is news for
        the hub (applied or refused), so the agent sends a heartbeat now instead of at the next interval."""
        with self._lock:
            pending = self._pending if idle else None
            if pending is not None:
                self._pending = None
            news, self._refusal_news = self._refusal_news, False
        if pending is None:
            return news
        try:
            apply(pending.config)
        except Exception as exc:  # a part that cannot take it (a capture folder it cannot read): keep weighing
            logger.exception("remote config %s could not be applied", pending.message.version)
            with self._lock:
                self.error = _sentence(f"config {pending.message.version} could not be applied: {exc}")
            return True
        self.applied, self.current = pending.message, pending.config
        self._store(pending)
        logger.info("remote config %s applied", pending.message.version)
        return True

    def _store(self, accepted: _Accepted) -> None:
        """Written whole beside the old one, then renamed over it: a power cut leaves the old or the new."""
        partial = self.path.with_name(self.path.name + ".partial")
        try:
            with partial.open("wb") as handle:
                handle.write(accepted.payload)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(self.path)
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError as exc:
            logger.error(
                "remote config %s applied but not kept on disk (%s): after a reboot without the hub the station "
                "would run the one before",
                accepted.message.version,
                exc,
            )

    # -- into every heartbeat (edge.stations.health.HealthReporter) -------------------------------------
    def heartbeat_fields(self) -> dict[str, Any]:
        return {"config_version": self.applied.version if self.applied else None, "config_error": self.error}

    def warnings(self) -> list[str]:
        return [WARNING_REFUSED] if self.error else []


def _sentence(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
