"""``MqttLike``: the real client and the test fake both satisfy it (checked by mypy on this file), and naming
the interface, its message types or the packet reader loads no paho."""

from __future__ import annotations

import subprocess
import sys

from core.transport.mqtt import MqttClient
from core.transport.protocol import MqttLike
from tests.fakes import FakeMqtt


def test_the_client_and_the_fake_are_both_mqtt_like() -> None:
    fake: MqttLike = FakeMqtt()
    client_type: type[MqttLike] = MqttClient
    assert fake.connected.is_set() and client_type is MqttClient


def test_the_interface_and_the_packet_reader_import_no_paho() -> None:
    code = (
        "import sys, core.transport.protocol, core.transport.packet_reader; "
        "sys.exit(any(m.split('.')[0] == 'paho' for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
