"""The demo keeps its ports between runs unless another process holds one now."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from sortcentre.demo.ports import DemoPorts


def test_ports_are_kept_between_runs(tmp_path: Path) -> None:
    state = tmp_path / "ports.json"
    first = DemoPorts(state)
    mqtt, influx, kiosk = first.pick("mqtt"), first.pick("influx"), first.pick("kiosk-zwolle-plastic-1")
    assert len({mqtt, influx, kiosk}) == 3
    first.save()
    again = DemoPorts(state)
    assert (again.pick("mqtt"), again.pick("influx"), again.pick("kiosk-zwolle-plastic-1")) == (mqtt, influx, kiosk)


def test_a_taken_port_is_replaced_and_the_new_one_remembered(tmp_path: Path) -> None:
    state = tmp_path / "ports.json"
    with socket.create_server(("127.0.0.1", 0)) as other:
        taken = other.getsockname()[1]
        state.write_text(json.dumps({"mqtt": taken, "influx": 1}))
        ports = DemoPorts(state)
        chosen = ports.pick("mqtt")
        assert chosen != taken
        ports.save()
    assert json.loads(state.read_text())["mqtt"] == chosen


def test_a_port_given_on_the_command_line_is_used_as_it_is(tmp_path: Path) -> None:
    ports = DemoPorts(tmp_path / "ports.json")
    assert ports.pick("mqtt", 18830) == 18830


def test_an_unreadable_state_file_means_new_ports(tmp_path: Path) -> None:
    state = tmp_path / "ports.json"
    for content in ("{not json", '["mqtt"]', '{"mqtt": "x", "influx": 99999}'):
        state.write_text(content)
        assert DemoPorts(state).remembered == {}
