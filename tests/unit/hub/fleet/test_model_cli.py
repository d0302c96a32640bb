"""`sortcentre models keygen` and the refusals of `sortcentre models publish` (publishing itself: against the real
broker in tests/integration/test_model_rollout.py)."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from edge.vision.model_signing import load_private_key, load_public_key
from sortcentre.cli import app

runner = CliRunner()


def hub_toml(tmp_path: Path) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(
        "[models]\n"
        f'folder = "{tmp_path / "store"}"\n'
        f'signing_key_file = "{tmp_path / "keys" / "hub.key"}"\n'
        f'public_key_file = "{tmp_path / "keys" / "hub.pub"}"\n'
    )
    return path


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path: Path) -> None:
    config = hub_toml(tmp_path)
    made = runner.invoke(app, ["models", "keygen", "--config", str(config)])
    assert made.exit_code == 0, made.output
    private, public = tmp_path / "keys" / "hub.key", tmp_path / "keys" / "hub.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_private_key(private).public_key() == load_public_key(public.read_bytes())
    before = private.read_bytes()
    again = runner.invoke(app, ["models", "keygen", "--config", str(config)])
    assert again.exit_code == 2 and "not overwritten" in again.output
    assert private.read_bytes() == before


def test_publish_refuses_a_bad_station_name_and_a_missing_key(tmp_path: Path) -> None:
    config = hub_toml(tmp_path)
    bundle = tmp_path / "m.model.tar"
    bundle.write_bytes(b"x")
    no_key = runner.invoke(app, ["models", "publish", str(bundle), "--station", "zwolle/s-1", "--config", str(config)])
    assert no_key.exit_code == 2 and "sortcentre models keygen" in no_key.output
    bad = runner.invoke(app, ["models", "publish", str(bundle), "--station", "../etc", "--config", str(config)])
    assert bad.exit_code == 2 and "SITE/STATION" in bad.output
