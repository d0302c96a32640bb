"""``sortcentre periods ...`` through typer's runner, on a periods file named by a hub TOML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from config.hub import HubSettings
from hub.feeds.cli import periods_app
from hub.feeds.periods import PeriodStore
from tests.unit.hub.feeds.conftest import day

pytestmark = pytest.mark.skipif(
    "feeds" not in HubSettings.model_fields, reason="HubSettings has no [feeds] section yet (wired by the lead)"
)
runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hub.toml"
    # Nothing listens on port 9: a command that needs InfluxDB and gets that far says so.
    path.write_text(
        f'[feeds]\nperiods_file = "{tmp_path / "periods.sqlite"}"\n\n'
        '[influx]\nurl = "http://127.0.0.1:9"\ntimeout_s = 2\n'
    )
    return path


def periods(config: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(periods_app, [*args, "--config", str(config)])
    return result.exit_code, result.output


def test_close_and_list(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = periods(config, "list")  # no file yet: not made by a list, which may run in the wrong folder
    assert code == 2 and "no closed-periods file at" in out and not (config.parent / "periods.sqlite").exists()
    PeriodStore(config.parent / "periods.sqlite")  # as the hub makes it when it starts
    code, out = periods(config, "list")
    assert code == 0 and "every month is open" in out

    def figures(_store: Any, first: Any, last: Any, sites: Any) -> dict[Any, tuple[int, int]]:
        assert sites is None  # a month is frozen for every site
        return {(day("2026-10-12"), "dalfsen", "textile", "creme"): (12_345, 7)}

    monkeypatch.setattr("hub.feeds.periods.live_days", figures)
    code, out = periods(config, "close", "2026-10", "--by", "ada")
    assert code == 0 and "closed 2026-10: 12.345 kg, 7 items frozen" in out
    code, out = periods(config, "list")
    assert code == 0 and "2026-10" in out and "ada" in out and "12.345" in out
    code, out = periods(config, "close", "2026-10")
    assert code == 2 and "closed already" in out
    assert [p.month for p in PeriodStore(config.parent / "periods.sqlite").closed()] == ["2026-10"]


def test_errors_exit_2_with_a_message(config: Path) -> None:
    code, out = periods(config, "close", "october")
    assert code == 2 and "YYYY-MM" in out
    code, out = periods(config, "close", "2199-01")
    assert code == 2 and "has not ended yet" in out
    code, out = periods(config, "close", "9999-12")  # a traceback (ValueError: year 10000) before
    assert code == 2 and "must lie between 1970-01 and 2199-12" in out
    code, out = periods(config, "close", "2026-09")
    assert code == 2 and "InfluxDB at http://127.0.0.1:9" in out
    assert PeriodStore(config.parent / "periods.sqlite").closed() == []
