"""The hub process: ingest (MQTT -> InfluxDB), live station state, and the web server."""

from __future__ import annotations

import logging
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from config.dashboard import DashboardSettings
from config.hub import HubSettings
from core.contract.fleet import ModelManifest
from core.transport.mqtt import MqttClient
from edge.vision.model_bundle import BUNDLE_SUFFIX, pack_bundle
from hub.api.app import create_app, server_options
from hub.api.deps import HubState
from hub.auth.logins import Logins
from hub.captures.tokens import StationIdentity, TokenCheck
from hub.captures.uploads import CaptureUploads
from hub.feeds.periods import PeriodStore
from hub.fleet.config_store import ConfigStore
from hub.fleet.learning import LearningLoop, model_path
from hub.fleet.models import ModelStore, publish_model
from hub.fleet.registry import StationRegistry
from hub.fleet.remote_config import RemoteConfigs
from hub.fleet.rollouts import RolloutError
from hub.ingest.dead_letters import DeadLetters
from hub.ingest.ingest import Ingest
from hub.ingest.jetstream import JetStreamSource
from hub.ingest.metrics import IngestMetrics
from hub.ingest.source import EventSource, MqttEventSource
from hub.ingest.workers import OnResult, ProcessWorkers, ThreadWorkers, Workers, WriterOptions
from hub.keys.store import KeyStore
from hub.live.acks import AlertAcks
from hub.live.activity import Activity
from hub.live.broadcast import Broadcaster
from hub.live.peers import PeerHubs
from hub.live.stations import LiveStations
from hub.reference import load_reference
from hub.storage.influx_v1 import InfluxV1
from hub.storage.rollups import CREATE_RETENTION_POLICY
from hub.supervision import Supervisor

logger = logging.getLogger(__name__)


class Hub:
    """Everything but the web server, so tests can run the ingest without uvicorn."""

    def __init__(self, settings: HubSettings, *, station_tokens: TokenCheck | None = None) -> None:
        """``station_tokens``: who a capture upload's bearer token belongs to; default: the station registry."""
        self.settings = settings
        self.store = InfluxV1(settings.influx)
        self.metrics = IngestMetrics()
        # Every thread of the hub reports here; one that dies makes /healthz fail and the process exit.
        self.supervisor = Supervisor(self.metrics)
        self.dead_letters = DeadLetters()
        self.registry = StationRegistry.from_settings(settings.fleet)
        self.live = LiveStations(
            self.dead_letters,
            self.metrics,
            supervisor=self.supervisor,
            max_stations=settings.dashboard.max_stations,
            registry=self.registry,
            clock_check=settings.dashboard.clock,
        )
        self.acks = AlertAcks.from_settings(settings.dashboard)
        self.logins = Logins.from_settings(settings.auth)
        self.reference = load_reference(settings.reference_file)
        self.keys = KeyStore.from_settings(settings.keys)
        self.periods = PeriodStore.from_settings(settings.feeds)
        self.models = ModelStore(settings.models)
        self.captures = CaptureUploads(settings.captures, station_tokens or self._registered, self.metrics.registry)
        # Training and canary rollouts; its ``publish`` is set where the model store is made (docs/fleet.md).
        self.learning = LearningLoop(
            settings.learning,
            self.store,
            publish=self._publish_version,
            supervisor=self.supervisor,
            running_version=self._running_version,
            stored_bundle=self.models.bundle_of,
        )
        self._live_mqtt = MqttClient(settings.live_mqtt_settings(), f"{settings.client_id}-live")
        self.ingest = Ingest(
            self._event_source(),
            self.store,
            settings.ingest,
            self.metrics,
            self.dead_letters,
            self._workers_factory,
            supervisor=self.supervisor,
        )
        # The dashboard: activity first, so that when the live view announces a change the numbers are in.
        self.dashboard: DashboardSettings = settings.dashboard
        self.activity = Activity(
            self.store, resync_interval_s=self.dashboard.resync_interval_s, supervisor=self.supervisor
        )
        self.broadcaster = Broadcaster()
        self.started = datetime.now(UTC)
        self.ingest.listeners.append(self.activity.on_batch_stored)
        self.ingest.listeners.append(self.live.on_batch_stored)
        self.live.listeners.append(self.broadcaster.publish)
        self.activity.listeners.append(self.broadcaster.publish)
        self.live.attach(self._live_mqtt)
        if settings.ingest.source == "jetstream":
            # Hubs sharing a consumer each store a share: they tell each other, so every live view sees all.
            peers = PeerHubs(
                settings.client_id, self._live_mqtt, [self.activity.on_batch_stored, self.live.on_batch_stored]
            )
            self.ingest.listeners.append(peers.on_batch_stored)
            peers.attach()
        # Stations' sorting settings, published with the live client (docs/fleet.md, Remote config).
        self.remote_config = RemoteConfigs(ConfigStore.from_settings(settings.remote_config), self._live_mqtt)

    def publish_model(
        self, bundle: Path, stations: list[tuple[str, str]], *, stream: str | None = None
    ) -> list[tuple[ModelManifest, int | None]]:
        """Offer a model to stations (signed, retained) through the hub's own live connection (docs/fleet.md);
        the previous model's bundle again is a rollback."""
        return publish_model(self.models, self._live_mqtt, bundle, stations, stream=stream)

    def _event_source(self) -> EventSource:
        settings = self.settings
        if settings.ingest.source == "jetstream":
            # Every hub instance binds to the one durable consumer; NATS shares the events among them.
            return JetStreamSource(
                settings.ingest.jetstream,
                settings.mqtt,
                f"{settings.client_id}-ingest",
                self.supervisor,
                self.metrics,
            )
        # Fixed client id and a persistent session (clean_session=False): messages that arrive while the hub
        # is down wait at the broker for it, and unacknowledged ones are redelivered after a crash.
        mqtt = MqttClient(settings.mqtt, f"{settings.client_id}-ingest", clean_session=False, manual_ack=True)
        return MqttEventSource(mqtt, settings.ingest)

    def _publish_version(self, version: str, stations: Sequence[str]) -> None:
        """The learning loop's publisher: send model ``version`` to registered ``stations`` (a canary, the rest of
        the site, or a rollback). The bundle is the one in the model store, else packed from where training at
        this hub put it. Raises RolloutError for a station or model the hub does not know."""
        targets: list[tuple[str, str]] = []
        streams: set[str] = set()
        for station_id in stations:
            record = self.registry.get(station_id)
            if record is None or record.stream is None or record.retired:
                raise RolloutError(f"station {station_id} is not registered in service: cannot send it a model")
            targets.append((record.site, record.id))
            streams.add(record.stream)
        if not targets:
            return
        bundle = self.models.bundle_of(version)
        with tempfile.TemporaryDirectory() as tmp:
            if bundle is None:
                (site, _), stream = targets[0], sorted(streams)[0]
                trained = model_path(self.settings.learning, site, stream, version)
                if not trained.is_file():
                    raise RolloutError(f"model {version} is neither in the model store nor trained here")
                bundle = pack_bundle(trained, Path(tmp) / f"model{BUNDLE_SUFFIX}")
            self.publish_model(bundle, targets)

    def _running_version(self, site: str, stream: str) -> str | None:
        """The model version most of the site's stations of ``stream`` in service report (the registry keeps it
        from their heartbeats): what a model sent without a rollout left them running."""
        versions = Counter(
            s.model_version
            for s in self.registry.list()
            if s.site == site and s.stream == stream and s.in_service and s.model_version
        )
        return versions.most_common(1)[0][0] if versions else None

    def _registered(self, token: str) -> StationIdentity | None:
        """The station a capture upload's token was issued to by ``sortcentre stations add``; None for a token
        nobody issued or a retired station's."""
        station = self.registry.station_for_token(token)
        return None if station is None else StationIdentity(station.id, station.site)

    def _workers_factory(self, on_result: OnResult) -> Workers:
        ingest = self.settings.ingest
        options = WriterOptions(self.settings.influx, ingest.retry_initial_s, ingest.retry_max_s, ingest.window)
        if ingest.workers == 0:
            return ThreadWorkers(options, on_result, supervisor=self.supervisor)
        return ProcessWorkers(options, on_result, ingest.workers, supervisor=self.supervisor, metrics=self.metrics)

    @property
    def state(self) -> HubState:
        return HubState(
            self.store,
            self.live,
            self.dead_letters,
            self.metrics,
            self.logins,
            activity=self.activity,
            broadcaster=self.broadcaster,
            dashboard=self.dashboard,
            started=self.started,
            reference=self.reference,
            keys=self.keys,
            periods=self.periods,
            feeds=self.settings.feeds,
            supervisor=self.supervisor,
            models=self.models,
            registry=self.registry,
            captures=self.captures,
            remote_config=self.remote_config,
            learning=self.learning,
            acks=self.acks,
            ingest_source=self.settings.ingest.source,
            ingest_problem=self.ingest.source_problem,
        )

    def start(self) -> None:
        self.store.ensure_database()
        self.store.ensure(CREATE_RETENTION_POLICY)
        self.started = datetime.now(UTC)
        self.ingest.start()
        self._live_mqtt.start()
        self.activity.start()
        self.learning.start()

    def wait_subscribed(self, timeout: float) -> bool:
        """Wait until both broker connections are up and the broker acknowledged their subscriptions: from then
        on a station's message reaches this hub (before, one published at once could arrive first and be missed)."""
        deadline = time.monotonic() + timeout
        return self.ingest.wait_ready(timeout) and self._live_mqtt.wait_subscribed(
            max(0.0, deadline - time.monotonic())
        )

    def stop(self) -> None:
        self.supervisor.stopping()
        self.broadcaster.close()
        self.activity.stop()
        self.learning.stop()
        self._live_mqtt.stop()
        self.ingest.stop()
        self.store.close()


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_hub(settings: HubSettings) -> int:
    """Serve until asked to stop (0) or until a hub thread died (1: for systemd to restart the hub)."""
    hub = Hub(settings)
    # The last resort for threads that are not ours (paho's network loop, say): an exception that ends one
    # makes the hub unhealthy and stops it, instead of leaving a hub that looks alive and acknowledges nothing.
    threading.excepthook = hub.supervisor.excepthook
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hub.state, settings),
            **server_options(settings),  # address, and proxy headers only from web.trusted_proxies
            log_level="warning",
            access_log=False,
        )
    )

    def stop_serving(_reason: str) -> None:
        server.should_exit = True  # uvicorn checks it about every 0.1 s and shuts down as for a SIGTERM

    hub.supervisor.listeners.append(stop_serving)
    # uvicorn raises a SIGTERM or SIGINT it caught again once it has stopped serving, so that the process ends
    # "killed by the signal": under the default handler that killed the hub before hub.stop() stored and
    # acknowledged what it had received. Noting the signal here lets the shutdown finish and exit 0.
    asked_to_stop: list[int] = []
    previous = {sig: signal.signal(sig, lambda sig, _frame: asked_to_stop.append(sig)) for sig in _STOP_SIGNALS}
    hub.start()
    if not hub.logins.users.users():
        logger.warning(
            "no users in %s: nobody can log in; add one with 'sortcentre users add NAME --role admin'",
            settings.auth.users_file,
        )
    logger.info("hub serving on http://%s:%s/", settings.http_host, settings.http_port)
    try:
        if hub.supervisor.healthy and not asked_to_stop:  # a thread may have died, or a signal come, while starting
            server.run()
    finally:
        hub.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not hub.supervisor.healthy:
        logger.critical("hub stopped after a failure: %s", "; ".join(hub.supervisor.failures()))
        return 1
    logger.info("hub stopped")
    return 0
