"""Which scale protocol answers on a port: each one's weight request in turn, the first proper answer wins.

The order matters. MT-SICS ``SI`` and A&D ``Q`` end in CR LF, so a scale of another brand takes them as
one unknown command (an A&D balance even answers ``SI``, with its own frame, which is not mistaken for
MT-SICS). The Dini Argeo request carries an address that only a Dini indicator answers to. The CAS ENQ
byte comes last: it has no line end, and a line-based scale would read it as the start of its next command.

An answer counts only when it is well-formed for that protocol (a weight, a status, or that protocol's own
error reply), so noise or another brand's "unknown command" does not pass for a scale.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import serial

from edge.stations.scales import cas
from edge.stations.scales.base import PORT_ERRORS, ScaleError

logger = logging.getLogger(__name__)


_MT_SICS = re.compile(rb"S (?:[SD] +-?\d+(?:\.\d+)? +[a-z]+|[I+-])")
_AND = re.compile(rb"(?:ST|US|QT|OL),[+-][0-9.E+ ]{1,12}[ A-Za-z]{0,3}|EC,E\d{1,2}")


def _lines_match(pattern: re.Pattern[bytes]) -> Callable[[bytes], bool]:
    def answered(received: bytes) -> bool:
        return any(pattern.fullmatch(line.rstrip(b"\r")) for line in received.split(b"\n")[:-1])

    return answered


def _dini_prefix(address: int | None) -> bytes:
    return b"" if address is None else f"{address:02d}".encode()


def _dini_pattern(address: int | None) -> re.Pattern[bytes]:
    prefix = _dini_prefix(address)
    return re.compile(prefix + rb"(?:(?:ST|US|OL|UL),(?:GS|NT),[^,]{8},[ A-Za-z]{2}|OK|ERR0[1-4])")


def _cas_answered(serial_port: serial.Serial) -> Callable[[bytes], bool]:
    """ENQ answered by NAK, or by ACK and then, after DC1, an intact frame."""
    asked = False

    def answered(received: bytes) -> bool:
        nonlocal asked
        if not asked:
            if cas.NAK in received:
                return True
            if cas.ACK in received:
                serial_port.write(bytes([cas.DC1]))
                asked = True
            return False
        start = received.find(bytes([cas.SOH, cas.STX]))
        while start >= 0:
            if cas.parse_frame(received[start : start + cas.FRAME_LENGTH]) is not None:
                return True
            start = received.find(bytes([cas.SOH, cas.STX]), start + 1)
        return False

    return answered


def probe(port: str, baudrate: int, timeout_s: float = 0.3, dini_address: int | None = 1) -> str:
    """The driver name ("mt-sics", "and", "dini-argeo", "cas") whose scale answered on the port.

    Each protocol gets ``timeout_s`` to answer; raises ScaleError when none did. ``dini_address`` None asks
    a Dini Argeo indicator in its RS-232 form, without an address.
    """
    try:
        serial_port = serial.Serial(port, baudrate=baudrate, timeout=0.05, write_timeout=timeout_s)
    except PORT_ERRORS as exc:
        raise ScaleError(f"cannot open scale port {port}: {exc}") from exc
    probes: list[tuple[str, bytes, Callable[[bytes], bool]]] = [
        ("mt-sics", b"SI\r\n", _lines_match(_MT_SICS)),
        ("and", b"Q\r\n", _lines_match(_AND)),
        ("dini-argeo", _dini_prefix(dini_address) + b"READ\r\n", _lines_match(_dini_pattern(dini_address))),
        ("cas", bytes([cas.ENQ]), _cas_answered(serial_port)),
    ]
    with serial_port:
        for name, request, answered in probes:
            try:
                if _ask(serial_port, request, answered, timeout_s):
                    logger.info("scale on %s answered the %s probe", port, name)
                    return name
            except PORT_ERRORS as exc:
                raise ScaleError(f"scale port failed while probing: {exc}") from exc
    raise ScaleError(f"no scale protocol answered on {port} at {baudrate} bps")


def _ask(serial_port: serial.Serial, request: bytes, answered: Callable[[bytes], bool], timeout_s: float) -> bool:
    # An answer to the previous probe must not count for this one.
    serial_port.reset_input_buffer()
    serial_port.write(request)
    received = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        chunk = serial_port.read(serial_port.in_waiting or 1)
        if chunk:
            received += chunk
            if answered(received):
                return True
    logger.debug("no answer to probe %r: %r", request, received[:40])
    return False
