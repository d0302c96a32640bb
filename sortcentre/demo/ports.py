"""The demo's ports, kept between runs in its state folder (``var/demo/ports.json``), so the broker, InfluxDB and
the sorters' screens keep their addresses (bookmarks, an open kiosk tab) from one run to the next. A remembered
port that another process holds now is replaced by a free one, and remembered from then on; a port given on the
command line is used as it is (and the demo stops, naming it, when it is taken: servers.taken_ports)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from local_servers.process import free_port, port_free

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"


class DemoPorts:
    def __init__(self, state: Path) -> None:
        """``state``: the file the ports are kept in."""
        self.path = state
        self.remembered = self._load()
        self.chosen: dict[str, int] = {}

    def _load(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("demo ports in %s unreadable (%s): choosing new ones", self.path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int) and 0 < v < 65536}

    def pick(self, name: str, given: int | None = None) -> int:
        """``given`` (from the command line) as it is; else the port ``name`` had last time if it is free now; else
        a free one. Never one already picked for another name in this run."""
        if given:
            port = given
        else:
            port = self.remembered.get(name, 0)
            if not port or port in self.chosen.values() or not port_free(HOST, port):
                port = free_port(HOST)
                while port in self.chosen.values():
                    port = free_port(HOST)
        self.chosen[name] = port
        return port

    def save(self) -> None:
        """Remember this run's ports (with the ones of names this run did not use)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.remembered | self.chosen, indent=2, sort_keys=True))
