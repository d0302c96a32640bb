"""The demo's child processes (hub, simulated hardware, stations): each a ``sortcentre`` command of its own,
with one log file under var/logs/, stopped by name in the order the runner chooses."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.processes import die_with_parent

logger = logging.getLogger(__name__)


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


class Children:
    def __init__(self, logs: Path, log_level: str) -> None:
        self.logs = logs
        self.log_level = log_level
        self.children: list[Child] = []

    def spawn(self, name: str, *args: str) -> Child:
        """``sortcentre <args>`` in a session of its own, so a Ctrl-C in the terminal reaches the demo alone
        and the demo stops each child in turn; it also dies with the demo."""
        log = self.logs / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sortcentre", "--log-level", self.log_level, *args],
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - it only calls prctl before exec
                env=os.environ | {"PYTHONUNBUFFERED": "1"},
            )
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def exited(self) -> list[Child]:
        """The children that have exited."""
        return [c for c in self.children if c.proc.poll() is not None]

    def terminate(self, names: Iterable[str], timeout: float = 15.0) -> None:
        """SIGTERM to the named children still running, then wait for each; one that does not stop is killed."""
        wanted = set(names)
        chosen = [c for c in self.children if c.name in wanted and c.proc.poll() is None]
        for child in chosen:
            child.proc.send_signal(signal.SIGTERM)
        for child in chosen:
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop; killing it", child.name)
                child.proc.kill()
                child.proc.wait()

    def terminate_all(self) -> None:
        self.terminate([c.name for c in self.children])
