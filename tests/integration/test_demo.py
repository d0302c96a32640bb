"""`sortcentre demo` as a user runs it (what `make demo` starts): events flow within 30 s, every event the
stations report as sent is stored once, a second run keeps the data, and Ctrl-C stops every child."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from local_servers import free_port
from tests.conftest import soak_size


def run_demo(var: Path, *extra: str, interrupt_after: float | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sortcentre", "demo", "--var", str(var), "--http-port", str(free_port()), *extra]
    env = os.environ | {"COLUMNS": "200"}
    if interrupt_after is None:
        return subprocess.run(command, capture_output=True, text=True, timeout=150, env=env, check=False)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    time.sleep(interrupt_after)
    proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
    out, _ = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(command, proc.returncode, out, "")


def summary(var: Path) -> dict[str, dict[str, float]]:
    data = json.loads((var / "demo" / "summary.json").read_text())
    assert data["final"] is True
    return data["stations"]  # type: ignore[no-any-return]


def processes_using(var: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-af", str(var)], capture_output=True, text=True, check=False).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


def test_demo_runs_counts_and_keeps_data(tmp_path: Path) -> None:
    var = tmp_path / "var"
    first = run_demo(var, "--duration", "30")
    assert first.returncode == 0, first.stdout + first.stderr
    stations = summary(var)
    assert set(stations) == {"zwolle-plastic-1", "dalfsen-plastic-1", "ommen-textile-1"}
    for name, figures in stations.items():
        assert figures["kg_24h"] > 0, f"{name}: no kg within 30 s"
        assert figures["sent"] == figures["stored"] > 0, f"{name}: {figures}"
    # The InfluxDB command-line client's own count is printed, station by station.
    assert "tags: station=ommen-textile-1" in first.stdout
    assert "every event the stations sent is stored, once" in first.stdout
    # The dashboard's demo users: made once, their passwords kept like the broker's.
    secrets_dir = var / "hub" / "secrets"
    assert sorted(p.name for p in secrets_dir.iterdir()) == [
        "admin",
        "supervisor-dalfsen",
        "supervisor-ommen",
        "supervisor-zwolle",
    ]
    admin_password = (secrets_dir / "admin").read_text().strip()
    assert f"log in as admin with password {admin_password}" in first.stdout

    ports = json.loads((var / "demo" / "ports.json").read_text())
    assert set(ports) == {"mqtt", "influx"} | {f"kiosk-{name}" for name in stations}

    second = run_demo(var, interrupt_after=25)
    assert second.returncode == 0, second.stdout
    # The same broker, InfluxDB and sorters' screens as the first time.
    assert json.loads((var / "demo" / "ports.json").read_text()) == ports
    assert f"broker: 127.0.0.1:{ports['mqtt']}" in second.stdout
    assert f"log in as admin with password {admin_password}" in second.stdout  # the same as the first time
    again = summary(var)
    for name, figures in again.items():
        assert figures["stored"] > stations[name]["stored"], "the second run lost or did not add data"
        assert figures["sent"] == figures["stored"]
    assert processes_using(var) == [], "children left running after Ctrl-C"


def test_a_taken_port_stops_the_demo_before_anything_starts(tmp_path: Path) -> None:
    """Another program on the MQTT port once passed for a ready Mosquitto (ours had exited), and the stations
    then sent nothing: now each taken port is named, with what to do, and no server is started."""
    var = tmp_path / "var"
    with socket.create_server(("127.0.0.1", 0)) as mqtt, socket.create_server(("127.0.0.1", 0)) as influx:
        mqtt_port, influx_port = mqtt.getsockname()[1], influx.getsockname()[1]
        result = run_demo(var, "--mqtt-port", str(mqtt_port), "--influx-port", str(influx_port), "--duration", "5")
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        f"port {mqtt_port} (for Mosquitto) is taken by another process: stop that process, or pass --mqtt-port "
        "with another port (0: a free one)" in result.stdout
    )
    assert f"port {influx_port} (for InfluxDB) is taken by another process" in result.stdout
    assert "--influx-port" in result.stdout
    assert not (var / "mosquitto").exists() and not (var / "influxdb").exists() and not (var / "logs").exists()


def test_learning_demo_captures_frames_that_show_the_pressed_category(tmp_path: Path) -> None:
    """`sortcentre demo --learning`: capture consent on, and each simulated camera shows the item its sorter is
    about to place, so the stations keep frames whose look matches the label the sorter pressed."""
    import cv2
    import numpy as np

    from edge.vision.dataset import iter_samples
    from firmware_mocks.camera import COLOURS
    from sortcentre.demo.configs import demo_spec

    var = tmp_path / "var"
    run = run_demo(var, "--learning", "--duration", "30")
    assert run.returncode == 0, run.stdout + run.stderr
    spec = demo_spec()
    matched = total = 0
    for entry in spec["station"]:
        categories = [c["id"] for c in spec["categories"][entry["categories"]]]
        samples = list(iter_samples(var / "stations" / entry["id"] / "captures"))
        assert len(samples) >= 3, f"{entry['id']}: {len(samples)} captures in 30 s"
        for sample in samples:
            assert sample.meta.label in categories and sample.meta.station == entry["id"]
            image = cv2.imread(str(sample.image)).reshape(-1, 3).astype(np.float64)
            plate = np.median(image, axis=0)
            item = image[np.abs(image - plate).max(axis=1) > 30]
            if len(item) == 0:
                continue  # an empty plate: counted as a miss
            colour = item.mean(axis=0) / plate.mean() * 128  # the plate is grey 128 at light 1
            nearest = min(range(len(COLOURS)), key=lambda i: float(np.linalg.norm(colour - np.array(COLOURS[i]))))
            matched += nearest == categories.index(sample.meta.label) % len(COLOURS)
            total += 1
    # The sorter slips on a few items (3%), and texture darkens the measured colour: most must match.
    assert total > 0 and matched / total >= 0.8, (matched, total)


DEMO_S = soak_size(60, 120)  # seconds of the unattended demo run: a minute in make test, two in make soak


def test_an_unattended_demo_raises_no_warning_and_grades_the_textiles(tmp_path: Path) -> None:
    """The demo as a new user sees it for a minute (two with ``make soak``): the dashboard's URL only once the hub
    answers, no station flagged (the simulated stations' clocks are the machine's, which has no NTP), and the textile
    station suggesting a grade for most items; the table timestamped, with the undos among the stored events."""
    var, port = tmp_path / "var", free_port()
    command = [sys.executable, "-m", "sortcentre", "demo", "--var", str(var), "--http-port", str(port)]
    env = os.environ | {"COLUMNS": "200"}
    proc = subprocess.Popen(
        [*command, "--duration", str(DEMO_S)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    lines: list[str] = []
    health_when_printed = None
    for line in proc.stdout:
        lines.append(line)
        if health_when_printed is None and f"Dashboard: http://127.0.0.1:{port}/" in line:
            health_when_printed = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code
    out = "".join(lines)
    assert proc.wait(60) == 0, out
    assert health_when_printed == 200, out

    data = json.loads((var / "demo" / "summary.json").read_text())
    serious = [a for a in data["alerts_seen"] if a["severity"] != "notice"]
    assert serious == [], serious
    textile = data["stations"]["ommen-textile-1"]
    assert textile["suggested_share"] is not None and textile["suggested_share"] >= 0.5, textile
    assert re.search(r"counts at \d\d:\d\d:\d\d", out) and "of which undos" in out, out
    assert "alerts: none" in out


def test_the_demo_on_nats_stores_every_event_through_two_hubs_and_outlives_one(tmp_path: Path) -> None:
    """`sortcentre demo --broker nats`: three NATS nodes and two hubs that both answer; the first hub killed (kill
    -9) mid-run, the demo reads the second and goes on; Ctrl-C then stops everything, and every event the
    stations sent is stored once."""
    var, port = tmp_path / "var", free_port()
    command = [sys.executable, "-m", "sortcentre", "demo", "--var", str(var), "--http-port", str(port)]
    env = os.environ | {"COLUMNS": "200"}
    proc = subprocess.Popen(
        [*command, "--broker", "nats"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    lines: list[str] = []
    healthz: list[int] = []
    hub_pids: dict[str, int] = {}
    tables = 0
    try:
        for line in proc.stdout:
            lines.append(line)
            if f"Dashboard: http://127.0.0.1:{port}/ (hub-1; hub-2: http://127.0.0.1:{port + 1}/)" in line:
                healthz = [httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=5).status_code for p in (port, port + 1)]
            if found := re.findall(r"(hub-\d) pid (\d+)", line):
                hub_pids = {name: int(pid) for name, pid in found}
            if re.search(r"^\s*counts at ", line):
                tables += 1
                if tables == 1:
                    os.kill(hub_pids["hub-1"], signal.SIGKILL)
                elif tables == 3:
                    proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        out = "".join(lines)
        assert proc.wait(60) == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert healthz == [200, 200], out
    assert re.search(r"NATS nodes: n1 nats://127\.0\.0\.1:\d+ \(MQTT 127\.0\.0\.1:\d+\)", out), out
    assert "hub-1 exited (-9); hub-2 goes on" in out, out

    data = json.loads((var / "demo" / "summary.json").read_text())
    assert data["final"] is True and data["hub_read"] == f"http://127.0.0.1:{port + 1}"
    for name, figures in data["stations"].items():
        assert figures["sent"] == figures["stored"] > 0, f"{name}: {figures}"
    assert "every event the stations sent is stored, once" in out
    # No warning: each hub's live view sees the other's share through its stored notices, so no false gaps.
    serious = {alert["kind"] for alert in data["alerts_seen"] if alert["severity"] != "notice"}
    assert serious == set(), data["alerts_seen"]
    nodes = data["nats"]["nodes"]
    assert sorted(nodes) == ["n1", "n2", "n3"] and all(node["pid"] for node in nodes.values()), nodes
    # The events came through the hubs' shared JetStream consumer, and at the end it holds none unacknowledged.
    consumer = data["nats"]["consumer"]
    stored = sum(figures["stored"] for figures in data["stations"].values())
    assert consumer["delivered"]["consumer_seq"] >= stored, consumer
    assert consumer["num_pending"] == consumer["num_ack_pending"] == 0, consumer
    # Each node's JetStream store is under var/, for the next run.
    assert all((var / "nats" / name / "jetstream").is_dir() for name in nodes)
    assert processes_using(var) == [], "children left running after Ctrl-C"
