"""A Mosquitto broker on a chosen port with its persistence under a data folder."""

from __future__ import annotations

from pathlib import Path

from sortcentre.infra.process import ChildServer, find_binary, free_port, port_open


class MosquittoServer(ChildServer):
    name = "mosquitto"

    def __init__(self, data_dir: Path, port: int | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self.config_path = data_dir / "mosquitto.conf"

    def prepare(self) -> None:
        # persistence: queued QoS 1 messages and retained status survive a broker restart.
        # autosave_interval 1 s bounds what a broker crash can lose to about one second of messages.
        self.config_path.write_text(
            "\n".join(
                [
                    "per_listener_settings false",
                    f"listener {self.port} {self.host}",
                    "allow_anonymous true",
                    "persistence true",
                    f"persistence_location {self.data_dir}/",
                    "autosave_interval 1",
                    "max_queued_messages 1000000",
                    "max_inflight_messages 1000",
                    "log_dest stdout",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "",
                ]
            )
        )

    def command(self) -> list[str]:
        return [find_binary("mosquitto", "mosquitto"), "-c", str(self.config_path)]

    def is_ready(self) -> bool:
        return port_open(self.host, self.port)
