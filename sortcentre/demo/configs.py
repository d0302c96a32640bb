"""The demo's files under ``var/``: its stations (stations.toml), and the hub's and stations' config files
written with this run's ports and paths."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from firmware_mocks.camera import ItemCamera, make_frames_folder
from firmware_mocks.garments import MAT_BGR, make_garment_frames_folder
from hub.broker_accounts import HUB_LIVE_USER, HUB_USER
from local_servers import InfluxServer
from local_servers.process import free_port
from sortcentre.demo.ports import DemoPorts


def demo_spec() -> dict[str, Any]:
    return tomllib.loads(resources.files("sortcentre.demo").joinpath("stations.toml").read_text())


def users_file(var: Path) -> Path:
    return var / "hub" / "users.sqlite"


def broker_secrets(var: Path) -> Path:
    """The folder of the broker accounts' password files, one per account, which the configs name."""
    return var / "broker" / "secrets"


def ports_file(var: Path) -> Path:
    """The ports of the last run (sortcentre/demo/ports.py)."""
    return var / "demo" / "ports.json"


def configs_dir(var: Path) -> Path:
    """Where the demo writes its config files and summary.json."""
    folder = var / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# The demo cameras' crop of their 640x480 frames; the learning demo keeps all of it (the capture's plate_roi is
# taken from the cropped frame), and its rendered items lie inside it.
CAMERA_CROP = (120, 60, 400, 360)


def station_configs(
    var: Path, mqtt_port: int | Sequence[int], learning: bool = False, ports: DemoPorts | None = None
) -> list[dict[str, Any]]:
    """The demo's station configs, with this run's ports and paths filled in. ``mqtt_port``: the broker's, or one
    per NATS node: the stations take them in turn, so each node has stations of its own. ``learning``: capture
    consent on (frames kept under the station's folder) and a camera folder of its own that the simulated sorter
    fills with the item it places (firmware_mocks.camera.ItemCamera). ``ports``: the kiosks' ports, kept between
    runs."""
    spec = demo_spec()
    mqtt_ports = [mqtt_port] if isinstance(mqtt_port, int) else list(mqtt_port)
    configs = []
    for index, entry in enumerate(spec["station"]):
        home = var / "stations" / entry["id"]
        config: dict[str, Any] = {
            "station": {"id": entry["id"], "site": entry["site"], "stream": entry["stream"]},
            "categories": spec["categories"][entry["categories"]],
            "scale": {"driver": "mt-sics", "port": str(home / "scale")},
            "buttons": {"driver": "serial-board", "port": str(home / "buttons")},
            "mqtt": {
                "host": "127.0.0.1",
                "port": mqtt_ports[index % len(mqtt_ports)],
                "username": entry["id"],
                "password_file": str(broker_secrets(var) / entry["id"]),
            },
            "journal": {"path": str(home / "journal.sqlite")},
            "kiosk": {"port": ports.pick(f"kiosk-{entry['id']}") if ports else free_port()},
            "camera": {"source": str(home / "camera"), "crop": list(CAMERA_CROP)},
            "heartbeat_s": 2.0,
        }
        if entry["stream"] == "textile" and not learning:
            # Garments on a green mat, and the station told the mat's colour: the condition cues and grading
            # rules then suggest a grade (docs/demo.md, "What you see in the demo").
            config["camera"]["source"] = str(home / "camera-garments")
            config["vision"] = {"mat": {"bgr": list(MAT_BGR)}}
        if learning:
            config["camera"]["source"] = str(home / "camera-learning")
            config["vision"] = {
                "capture": {
                    "enabled": True,
                    "folder": str(home / "captures"),
                    "plate_roi": [0, 0, CAMERA_CROP[2], CAMERA_CROP[3]],
                }
            }
        configs.append(config)
    return configs


@dataclass(frozen=True, slots=True)
class StationFile:
    station: str
    path: Path  # its config file
    kiosk: str  # the sorter's screen
    mqtt_port: int  # its broker's (on NATS: its node's) MQTT port


def write_station_configs(
    var: Path, mqtt_port: int | Sequence[int], learning: bool = False, ports: DemoPorts | None = None
) -> list[StationFile]:
    """Each station's config file, and a stand-in camera (a folder of generated frames) where it has none; in
    the learning demo an empty plate, which the simulated sorter replaces with each item it places."""
    written = []
    for index, config in enumerate(station_configs(var, mqtt_port, learning, ports)):
        camera = Path(config["camera"]["source"])
        if learning:
            ItemCamera(camera, [c["id"] for c in config["categories"]], seed=index)
        elif not camera.exists() and config.get("vision", {}).get("mat"):
            make_garment_frames_folder(camera, 20, seed=index)
        elif not camera.exists():
            make_frames_folder(camera, 20, seed=index)
        station = config["station"]["id"]
        path = configs_dir(var) / f"{station}.toml"
        path.write_text(tomli_w.dumps(config))
        kiosk = f"http://127.0.0.1:{config['kiosk']['port']}/"
        written.append(StationFile(station, path, kiosk, config["mqtt"]["port"]))
    return written


# With NATS: how long an event a hub took may wait for its acknowledgement before NATS hands it to the other hub.
# Short, so that after a `kill -9` of a hub the other one stores its events within seconds (docs/demo.md); a hub
# tells NATS "in progress" every third of it while a batch waits on InfluxDB.
DEMO_ACK_WAIT_S = 10.0
# How often each of two hubs re-reads today's totals and the last 15 minutes from InfluxDB.
SHARED_RESYNC_S = 10.0
# The second hub's canary check (docs/demo.md, "On NATS"): the most [learning] allows, as there is no switch to
# turn it off; the first hub steps the rollouts.
SECOND_HUB_CHECK_S = 86_400.0


@dataclass(frozen=True, slots=True)
class HubFile:
    name: str  # its child's name and log: hub, or hub-1 and hub-2
    path: Path  # its config file
    http_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


def hub_config(
    var: Path,
    http_port: int,
    mqtt_port: int,
    influx: InfluxServer,
    *,
    client_id: str | None = None,
    jetstream: Sequence[str] | None = None,
    canary_check: bool = True,
) -> dict[str, Any]:
    """A hub's config. ``jetstream``: the NATS URLs the hub reads the events from (``ingest.source = "jetstream"``,
    with its ``[mqtt]`` account; ``mqtt_port`` is then a NATS node's MQTT port, for the live view only).
    ``canary_check`` False: this hub leaves the rollouts to another one."""
    config: dict[str, Any] = {
        "http_port": http_port,
        "mqtt": {
            "host": "127.0.0.1",
            "port": mqtt_port,
            "username": HUB_USER,
            "password_file": str(broker_secrets(var) / HUB_USER),
        },
        # The broker binds client ids to accounts: the live-status client needs its own.
        "live_mqtt": {
            "username": HUB_LIVE_USER,
            "password_file": str(broker_secrets(var) / HUB_LIVE_USER),
        },
        "influx": {"url": influx.url, "database": influx.database},
        "auth": {"users_file": str(users_file(var))},
        # Who acknowledged which alert: beside the users, not under the config's folder.
        "dashboard": {"acks_file": str(var / "hub" / "alert_acks.sqlite")},
    }
    if client_id is not None:  # MQTT client ids must differ between hubs on one broker
        config["client_id"] = client_id
    if jetstream is not None:
        config["ingest"] = {
            "source": "jetstream",
            "jetstream": {"servers": list(jetstream), "ack_wait_s": DEMO_ACK_WAIT_S},
        }
        # A hub's live totals count the batches it stored; the other hub's share comes in at each re-read of
        # InfluxDB, so with two hubs re-read often (docs/broker.md, "The hub on JetStream").
        config["dashboard"]["resync_interval_s"] = SHARED_RESYNC_S
    if not canary_check:
        config["learning"] = {"check_interval_s": SECOND_HUB_CHECK_S}
    return config


def write_hub_configs(
    var: Path, http_port: int, mqtt_ports: Sequence[int], influx: InfluxServer, jetstream: Sequence[str] | None
) -> list[HubFile]:
    """The one hub's config (var/demo/hub.toml) on Mosquitto; on NATS (``jetstream``: the nodes' URLs) two hubs
    sharing one JetStream consumer, on ``http_port`` and the port after it, their live views on the first two
    nodes' MQTT ports (hub-1.toml, hub-2.toml). Both files lie in var/demo/, so the data files their configs
    leave at the defaults (registry, keys, rollouts, ...; relative to the file's folder) are the same files."""
    if jetstream is None:
        path = configs_dir(var) / "hub.toml"
        path.write_text(tomli_w.dumps(hub_config(var, http_port, mqtt_ports[0], influx)))
        return [HubFile("hub", path, http_port)]
    written = []
    for index in range(2):
        name = f"hub-{index + 1}"
        config = hub_config(
            var,
            http_port + index,
            mqtt_ports[index % len(mqtt_ports)],
            influx,
            client_id=f"sortcentre-{name}",
            jetstream=jetstream,
            canary_check=index == 0,
        )
        path = configs_dir(var) / f"{name}.toml"
        path.write_text(tomli_w.dumps(config))
        written.append(HubFile(name, path, http_port + index))
    return written
