"""The ready-to-copy config bundle of a station that ``sortcentre stations add`` made: ``station.toml`` and its two
secrets, each in a file only its owner reads (docs/fleet.md, section Registry).

The folder goes to the station as it is (``scp -r``) into ``station_dir`` (default /etc/sortcentre), the place
the TOML's paths name. The hardware sections come from a template: the site's own station TOML where it has one
(``--template``), else the example below, which the site edits for its scale's and button board's ports.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tomli_w

from config.files import read_toml

STATION_FILE = "station.toml"
PASSWORD_FILE = "mqtt_password"  # noqa: S105 - a file name
TOKEN_FILE = "upload_token"  # noqa: S105 - a file name
DEFAULT_STATION_DIR = Path("/etc/sortcentre")

# What a station needs beside its identity and broker account, as in docs/examples/station.toml: a start that the
# site edits (ports), and that remote config (the hub's sorting settings) takes over where it can.
EXAMPLE: dict[str, Any] = {
    "heartbeat_s": 10,
    "categories": [
        {"id": "residual", "nl": "Restafval", "en": "Residual", "pictogram": "bin", "key": "9"},
    ],
    "scale": {"driver": "mt-sics", "port": "/dev/serial/by-id/usb-mettler-scale", "baudrate": 9600},
    "buttons": {"driver": "serial-board", "port": "/dev/serial/by-id/usb-sortcentre-buttons"},
    "journal": {"path": "/var/lib/sortcentre/journal.sqlite"},
}


class BundleError(ValueError):
    """A bundle that cannot be written: the folder holds one already, or the template is unusable."""


def write_secret(path: Path, text: str) -> None:
    """A new file readable by its owner only from the first byte (no window with the umask's mode)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text + "\n")


def write_bundle(
    folder: Path,
    *,
    station_id: str,
    site: str,
    stream: str,
    mqtt: dict[str, Any],
    broker_password: str,
    upload_token: str,
    station_dir: Path = DEFAULT_STATION_DIR,
    template: Path | None = None,
    hub_url: str | None = None,
) -> Path:
    """Write the bundle into ``folder`` (made, or empty); returns the station TOML's path. ``mqtt``: host, port
    and TLS of the broker as the station reaches it; the user name and password file are added here."""
    if folder.exists() and any(folder.iterdir()):
        raise BundleError(f"{folder} is not empty: choose a new folder for the station's bundle")
    config: dict[str, Any] = dict(EXAMPLE) if template is None else read_toml(template)
    for section in ("station", "mqtt", "hub"):
        config.pop(section, None)  # the template's identity, account and token are another station's
    config["station"] = {"id": station_id, "site": site, "stream": stream}
    config["mqtt"] = {**mqtt, "username": station_id}
    if broker_password:
        config["mqtt"]["password_file"] = str(station_dir / PASSWORD_FILE)
    if hub_url is not None:  # where captures are uploaded, with the token (docs/fleet.md, "Captures")
        config["hub"] = {"url": hub_url, "upload_token_file": str(station_dir / TOKEN_FILE)}
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    if broker_password:
        write_secret(folder / PASSWORD_FILE, broker_password)
    write_secret(folder / TOKEN_FILE, upload_token)
    path = folder / STATION_FILE
    header = (
        f"# Station {station_id} of site {site}, made by `sortcentre stations add` at the hub.\n"
        f"# Copy this folder to {station_dir} on the station; check with: sortcentre station --config "
        f"{station_dir / STATION_FILE} --check\n"
        f"# {TOKEN_FILE}: the station's upload token for the hub's HTTP endpoints (keep it secret).\n\n"
    )
    path.write_text(header + tomli_w.dumps(config))
    return path
