"""A Mosquitto broker on a chosen port with its persistence under a data folder."""

from __future__ import annotations

import os
from pathlib import Path

from sortcentre.infra.broker_auth import BrokerAccounts
from sortcentre.infra.process import ChildServer, find_binary, free_port, port_open


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
        each limited by the ACL and bound to its own client id (sortcentre/infra/broker_auth.py)."""
        super().__init__(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self.accounts = accounts
        self.config_path = data_dir / "mosquitto.conf"

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

    def is_ready(self) -> bool:
        return port_open(self.host, self.port)
