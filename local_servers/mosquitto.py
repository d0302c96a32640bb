"""A Mosquitto broker on a chosen port with its persistence under a data folder."""

from __future__ import annotations

import os
import secrets
import socket
import struct
from pathlib import Path

from hub.broker_accounts import BrokerAccounts
from local_servers.process import ChildServer, find_binary, free_port


class MosquittoServer(ChildServer):
    name = "mosquitto"

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        accounts: BrokerAccounts | None = None,
    ) -> None:
        """Without ``accounts`` anyone may connect (tests of other things); with them, only those users,
        each limited by the ACL and bound to its own client id (hub/broker_accounts.py)."""
        super().__init__(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self.accounts = accounts
        self.config_path = data_dir / "mosquitto.conf"
        # Where `sortcentre stations add|retire` find the broker to send SIGHUP (fleet.broker_pid_file).
        self.pid_file = data_dir / "mosquitto.pid"

    def prepare(self) -> None:
        # persistence: queued QoS 1 messages and retained status survive a broker restart.
        # autosave_interval 1 s bounds what a broker crash can lose to about one second of messages.
        self.config_path.write_text(
            "\n".join(
                [
                    "per_listener_settings false",
                    f"listener {self.port} {self.host}",
                    *self._auth_lines(),
                    # Started as root, Mosquitto drops to the user "mosquitto", which cannot write our
                    # data folder (its persistence file would silently never be saved). It is our child
                    # process on loopback: keep it as the user who started it.
                    *(["user root"] if os.geteuid() == 0 else []),
                    f"pid_file {self.pid_file}",
                    "persistence true",
                    f"persistence_location {self.data_dir}/",
                    "autosave_interval 1",
                    "max_queued_messages 1000000",
                    "max_inflight_messages 30000",
                    "log_dest stdout",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "",
                ]
            )
        )

    def _auth_lines(self) -> list[str]:
        if self.accounts is None:
            return ["allow_anonymous true"]
        self.accounts.write()
        return [
            "allow_anonymous false",
            # A client's id is its user name, whatever id it asks for: a station cannot take over the hub's
            # persistent session (the broker would drop what it queued for the hub) nor another station's
            # connection (whose last will would fire). A listener option: it must follow the listener line.
            "use_username_as_clientid true",
            f"password_file {self.accounts.password_file}",
            f"acl_file {self.accounts.acl_file}",
        ]

    def command(self) -> list[str]:
        return [find_binary("mosquitto", "mosquitto"), "-c", str(self.config_path)]

    def ports(self) -> list[int]:
        return [self.port]

    def is_ready(self) -> bool:
        """Ready when an anonymous MQTT CONNECT gets the answer this broker's config gives: CONNACK 0 without
        accounts, CONNACK 5 (not authorised) with them.

        "Something answers on the port" was fooled by another process holding the port (our Mosquitto then
        exited, and the stations talked to that process). Logging in with one of our accounts would prove our
        password file too, but with client ids bound to user names (use_username_as_clientid) a clean-session
        probe would end that account's queued session. An anonymous probe touches no one's session, and a
        refusal shows that the accounts are in force."""
        answer = mqtt_connack(self.host, self.port)
        expected = 0 if self.accounts is None else 5
        if answer == expected:
            self.not_ready_reason = None
            return True
        if answer == 0:
            self.not_ready_reason = "the broker accepted an anonymous CONNECT: not ours, which has accounts"
        else:
            self.not_ready_reason = describe_connack(answer)
        return False


# MQTT 3.1.1 §3.2.2.3: the CONNACK return codes.
CONNACK_CODES = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


def describe_connack(answer: int | str) -> str:
    if isinstance(answer, str):
        return answer
    return f"the broker refused CONNECT: {CONNACK_CODES.get(answer, f'return code {answer}')}"


def mqtt_connack(
    host: str,
    port: int,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 1.0,
    client_id: str | None = None,
) -> int | str:
    """Send one MQTT 3.1.1 CONNECT and read the CONNACK: its return code (0: accepted), or why there was none.
    The client id is a random one unless ``client_id`` is given.

    A raw socket rather than paho: no network thread to start and stop 20 times a second while a server comes
    up, and every way it fails is a plain socket error or a wrong byte."""

    def utf8(text: str) -> bytes:  # MQTT 3.1.1 §1.5.3: a two-byte length, then the bytes
        data = text.encode()
        return struct.pack("!H", len(data)) + data

    flags = 0x02  # clean session: the probe leaves nothing behind at the broker (§3.1.2.4)
    payload = utf8(client_id or f"sortcentre-ready-{secrets.token_hex(4)}")
    if username is not None:
        flags |= 0x80
        payload += utf8(username)
        if password is not None:
            flags |= 0x40
            payload += utf8(password)
    variable = utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", 10)  # level 4 = 3.1.1; keepalive 10 s
    body = variable + payload
    length, remaining = bytearray(), len(body)
    while True:  # the remaining length: 7 bits a byte, the high bit says "more follows" (§2.2.3)
        remaining, digit = divmod(remaining, 128)
        length.append(digit | (0x80 if remaining else 0))
        if not remaining:
            break
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"\x10" + bytes(length) + body)
            answer = b""
            while len(answer) < 4:
                chunk = sock.recv(4 - len(answer))
                if not chunk:
                    return "the connection closed without a CONNACK: not an MQTT broker?"
                answer += chunk
            if answer[0] != 0x20 or answer[1] != 2:  # CONNACK, remaining length 2 (§3.2.1)
                return f"the answer is not a CONNACK ({answer.hex()}): not an MQTT broker?"
            if answer[3] == 0:
                sock.sendall(b"\xe0\x00")  # DISCONNECT: a clean goodbye, so the broker logs no error (§3.14)
            return answer[3]
    except TimeoutError:
        return f"no CONNACK within {timeout:.1f} s"
    except OSError as err:
        return f"{err.strerror or err}"
