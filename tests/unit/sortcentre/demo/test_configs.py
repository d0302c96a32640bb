"""The demo's station configs: the textile station knows its mat's colour and sees garments on it."""

from __future__ import annotations

from pathlib import Path

from config.station import StationConfig
from firmware_mocks.garments import MAT_BGR
from sortcentre.demo.configs import ports_file, station_configs, write_station_configs
from sortcentre.demo.ports import DemoPorts


def test_the_textile_station_has_its_mat_colour_and_a_garment_camera(tmp_path: Path) -> None:
    by_id = {c["station"]["id"]: c for c in station_configs(tmp_path, 1883)}
    textile = by_id["ommen-textile-1"]
    assert textile["vision"]["mat"]["bgr"] == list(MAT_BGR)
    assert textile["camera"]["source"].endswith("camera-garments")
    assert "vision" not in by_id["zwolle-plastic-1"]
    # The learning demo's cameras show rendered items on a grey plate: no mat there.
    learning = {c["station"]["id"]: c for c in station_configs(tmp_path, 1883, learning=True)}
    assert "mat" not in learning["ommen-textile-1"]["vision"]


def test_written_configs_load_and_keep_their_kiosk_ports(tmp_path: Path) -> None:
    ports = DemoPorts(ports_file(tmp_path))
    files = write_station_configs(tmp_path, 1883, ports=ports)
    ports.save()
    loaded = {f.station: StationConfig.load(f.path) for f in files}
    assert loaded["ommen-textile-1"].vision.mat is not None
    assert len(list((tmp_path / "stations" / "ommen-textile-1" / "camera-garments").iterdir())) == 20
    again = {
        c["station"]["id"]: c["kiosk"]["port"]
        for c in station_configs(tmp_path, 1883, ports=DemoPorts(ports_file(tmp_path)))
    }
    assert again == {name: config.kiosk.port for name, config in loaded.items()}
