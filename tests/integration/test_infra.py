"""The servers the tests and the demo start are real, and they never outlive whoever started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import wait_until


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has ended and waits only to be reaped


def test_servers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from sortcentre.infra import InfluxServer, MosquittoServer
        broker = MosquittoServer(Path({str(tmp_path / "m")!r})).start()
        influx = InfluxServer(Path({str(tmp_path / "i")!r})).start()
        print(broker.pid, influx.pid, flush=True)
        time.sleep(300)
    """)
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    parent.send_signal(signal.SIGKILL)  # no finally, no atexit: as when a CI job is cancelled
    parent.wait(10)
    assert wait_until(lambda: not any(alive(p) for p in pids), 15), "a server outlived its parent"
