"""The capacity model's arithmetic (bench/scenarios.py, docs/capacity.md)."""

from __future__ import annotations

import pytest

from bench.scenarios import (
    INFLUX_V1_MAX_SERIES,
    SCENARIOS,
    Measured,
    Scenario,
    demo_cycle_s,
    demo_events_per_hour,
    load,
    stations_at_series_limit,
    table,
)
from config.drivers import MtSicsScaleConfig
from firmware_mocks.sorter import SorterPace

MEASURED = Measured(
    hub_cpu_s=0.001,
    broker_cpu_s=0.0001,
    influx_cpu_s=0.002,
    influx_points=4.0,
    bytes_per_event=100.0,
    series_per_station=50.0,
    hub_idle_cores=0.01,
)


def test_demo_cycle_adds_up_the_sorter_loop() -> None:
    # idle 1.25 + look 0.55 + clear 0.3 + three polls 0.3 = 2.4; settle 0.4 + 0.3 + 0.4 = 1.1; no LED: +0.5
    assert demo_cycle_s() == pytest.approx((3.5, 4.0))
    slower = SorterPace(idle_s=(2.0, 4.0))
    assert demo_cycle_s(slower, MtSicsScaleConfig(port="/dev/null", poll_interval_s=0.2)) == pytest.approx((5.55, 6.05))
    assert demo_events_per_hour() == pytest.approx(3600 / 3.5)


def test_load_of_a_scenario() -> None:
    scenario = Scenario("test", stations=100, hours_per_day=8, days_per_year=250, utilisation=0.5)
    result = load(scenario, MEASURED, events_per_hour=360)
    assert result.peak_events_s == pytest.approx(10.0)
    assert result.mean_events_s == pytest.approx(5.0)
    assert result.events_per_year == pytest.approx(5 * 3600 * 8 * 250)
    assert result.hub_cores == pytest.approx(0.01 + 10 * 0.001)
    assert result.broker_cores == pytest.approx(0.001)
    assert result.influx_cores == pytest.approx(0.02)
    assert result.influx_points_s == pytest.approx(40.0)
    assert result.disk_gb_per_year == pytest.approx(36_000_000 * 100 / 1e9)
    assert result.series == 5_000


def test_series_limit_in_stations() -> None:
    assert stations_at_series_limit(MEASURED) == INFLUX_V1_MAX_SERIES // 50
    assert stations_at_series_limit(MEASURED, limit=125) == 2


def test_scenarios_grow_from_region_to_nation() -> None:
    region, kringloop, _textile = SCENARIOS
    assert region.stations == 50
    assert kringloop.stations > region.stations


def test_table_has_a_row_per_scenario() -> None:
    scenario = Scenario("tiny", stations=10, hours_per_day=8, days_per_year=250, utilisation=0.5)
    lines = table({scenario: MEASURED}, events_per_hour=360)
    assert len(lines) == 3
    # 1 event/s peak, 0.5 mean, 3.6 M a year, hub 0.01 + 0.001 cores, 40 points/s... 500 series
    assert lines[2] == "| tiny | 10 | 1 / 0 | 4 M | 0.01 | 0.00 | 0.00 | 4 | 0.4 GB | 500 |"
