"""The demo's servers: Mosquitto with the demo's accounts and InfluxDB, both under var/, started only when every
port the demo will listen on is free."""

from __future__ import annotations

from pathlib import Path

from local_servers import InfluxServer, MosquittoServer, ServerError
from local_servers.process import port_free
from sortcentre.demo.accounts import demo_accounts


def make_servers(var: Path, mqtt_port: int | None, influx_port: int | None) -> tuple[MosquittoServer, InfluxServer]:
    """Not started yet; a port None takes a free one."""
    mosquitto = MosquittoServer(var / "mosquitto", mqtt_port, accounts=demo_accounts(var))
    return mosquitto, InfluxServer(var / "influxdb", influx_port)


def taken_ports(http_port: int, mosquitto: MosquittoServer, influx: InfluxServer) -> list[str]:
    """What to tell the user about each port the demo needs that another process holds, checked before anything
    starts: a server that cannot listen exits, or the stations end up talking to whatever holds the port."""
    wanted = [
        ("--http-port", "the hub's web page", http_port),
        ("--mqtt-port", "Mosquitto", mosquitto.port),
        ("--influx-port", "InfluxDB", influx.port),
    ]
    return [
        f"[red]port {port} (for {what}) is taken by another process[/]: stop that process, or pass "
        f"{option} with another port" + ("" if option == "--http-port" else " (0: a free one)")
        for option, what, port in wanted
        if not port_free("127.0.0.1", port)
    ]


def start_servers(mosquitto: MosquittoServer, influx: InfluxServer) -> str | None:
    """None once both run; else why not (and Mosquitto is stopped again)."""
    try:
        mosquitto.start()
        influx.start()
    except ServerError as exc:
        mosquitto.stop()
        return str(exc)
    return None
