"""Starting and stopping a server binary as a child process, with its log in a file."""

from __future__ import annotations

import logging
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from core.processes import ProgramNotFoundError, die_with_parent, find_program

logger = logging.getLogger(__name__)


class ServerError(RuntimeError):
    """A server binary is missing, failed to start or did not become ready."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now, below the OS's ephemeral range, and not handed out before by
    this process.

    A port from bind(0) lies in the ephemeral range, where every outgoing connection on the machine also takes
    its local port: between picking it and the server binding it, a client (of another test, of another server)
    could take it, and the server would not start (seen in CI with a cluster's twelve ports). Below that range
    only servers bind, and those ask for a port by number."""
    low, _high = _ephemeral_range()
    for _attempt in range(200):
        port = _random.randrange(_FIRST_PORT, low)
        if port not in _handed_out and port_free(host, port):
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # the range is crowded: the OS's choice
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


_FIRST_PORT = 20_000  # above the ports that well-known and registered services listen on most often
_random = random.SystemRandom()  # not seeded alike in processes started at the same moment
_handed_out: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return (low, high) if low > _FIRST_PORT + 1000 else (32768, 60999)


def find_binary(name: str, package: str) -> str:
    try:
        return find_program(name, package)
    except ProgramNotFoundError as exc:
        raise ServerError(str(exc)) from None


class ChildServer:
    """A server process we own: start() waits until it is ready, stop() ends it (SIGTERM, then SIGKILL)."""

    name = "server"
    host = "127.0.0.1"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log_path = data_dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_start = 0  # where this run's output begins in the (appended) log file
        # Why the last is_ready() said no (set by is_ready), for the message when the server never gets ready.
        self.not_ready_reason: str | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Write config files before start."""

    def ports(self) -> list[int]:
        """The TCP ports the server will listen on (on ``host``): checked before it starts."""
        return []

    def is_ready(self) -> bool:
        raise NotImplementedError

    def after_ready(self) -> None:
        """One-time setup once the server answers."""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> Self:
        for port in self.ports():
            # The server would exit, or worse a readiness check would reach the process that holds the port.
            if not port_free(self.host, port):
                raise ServerError(f"{self.name}: port {port} on {self.host} is taken by another process")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        self.not_ready_reason = None
        with self.log_path.open("ab") as log:
            self._log_start = log.tell()
            # A new session: Ctrl-C in the terminal reaches the demo, which stops us in order.
            self._proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - it only calls prctl before exec
            )
        self._wait(self.is_ready, timeout)
        self.after_ready()
        logger.info("%s ready (pid %s, data in %s)", self.name, self.pid, self.data_dir)
        return self

    def _wait(self, check: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with {self._proc.returncode}; see {self.log_path}:\n{self._log_tail()}"
                )
            if check():
                return
            time.sleep(0.05)
        self.stop()
        why = f" (last check: {self.not_ready_reason})" if self.not_ready_reason else ""
        raise ServerError(f"{self.name} not ready after {timeout:.0f} s{why}; see {self.log_path}:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        return log_tail(self.log_path, self._log_start)

    def stop(self, timeout: float = 10.0) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop in %.0f s; killing it", self.name, timeout)
            self._proc.kill()
            self._proc.wait()
        logger.info("%s stopped", self.name)

    def kill(self) -> None:
        """SIGKILL, as a power cut or an OOM kill would: for failure tests."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def log_tail(path: Path, start: int = 0, lines: int = 15) -> str:
    """The last lines written to ``path`` after byte ``start``: a child's log is appended to across runs, and
    an earlier run's lines would tell a wrong story."""
    try:
        with path.open("rb") as log:
            log.seek(start)
            text = log.read().decode(errors="replace")
    except OSError as err:
        return f"(cannot read it: {err.strerror})"
    return "\n".join(text.splitlines()[-lines:]) or "(it wrote nothing)"


def port_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now: a bind test, as the server itself will do.

    SO_REUSEADDR as servers set it, so the closed connections of an earlier run (TIME_WAIT) do not count as
    taken; on Linux a bind still fails while any socket listens on that port, on this or the wildcard address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
