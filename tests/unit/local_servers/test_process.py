"""Ports for the servers the tests and the demo start."""

from __future__ import annotations

import socket
from pathlib import Path

from local_servers.process import free_port, port_free


def test_free_ports_lie_below_the_ephemeral_range_and_are_never_handed_out_twice() -> None:
    """An outgoing connection takes its local port from the ephemeral range: a port picked there can be taken
    before the server binds it (a NATS cluster start failed that way in CI)."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(20_000 <= port < low for port in ports)
    assert all(port_free("127.0.0.1", port) for port in ports)


def test_a_port_someone_listens_on_is_not_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", free_port()))
        sock.listen()
        assert not port_free("127.0.0.1", sock.getsockname()[1])
