"""The capacity model's arithmetic (docs/capacity.md): event rates of the demo's simulated sorters, three
network scenarios, and what each costs given the figures ``bench.storage_cost`` measured.

Pure functions and constants only, so tests/unit/bench/test_scenarios.py can check the arithmetic; every
assumption here is repeated, with its source, in docs/capacity.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.drivers import MtSicsScaleConfig
from firmware_mocks.sorter import SorterPace

# InfluxDB 1.x's default `[data] max-series-per-database`: writes that would add a series beyond it fail.
INFLUX_V1_MAX_SERIES = 1_000_000
SECONDS_PER_HOUR = 3600


def mean(bounds: tuple[float, float]) -> float:
    return (bounds[0] + bounds[1]) / 2


def demo_cycle_s(pace: SorterPace | None = None, scale: MtSicsScaleConfig | None = None) -> tuple[float, float]:
    """Mean seconds per item of firmware_mocks/sorter.py's SimulatedSorter, (with a lit suggestion, without).

    One loop of ``SimulatedSorter.run``: idle between items, the item swings for ``stable_time_s + 0.3`` s
    (StationRig's settle) and the station wants ``stable_time_s`` of stable readings, so a suggestion lights
    after about their sum; without one the sorter waits for ``wait_for_led``'s timeout, 0.5 s longer. Then it
    looks, presses, clears the plate after 0.3 s and waits three scale polls."""
    pace = pace or SorterPace()
    scale = scale or MtSicsScaleConfig(port="/dev/null")
    settle = scale.stable_time_s + 0.3 + scale.stable_time_s
    rest = mean(pace.idle_s) + mean(pace.look_s) + 0.3 + 3 * scale.poll_interval_s
    return rest + settle, rest + settle + 0.5


def demo_events_per_hour() -> float:
    """A demo sorter's events an hour, the faster of the two cycles (a sizing should not undercount)."""
    return SECONDS_PER_HOUR / demo_cycle_s()[0]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    stations: int
    hours_per_day: float  # a station's working hours on a working day
    days_per_year: int  # working days
    utilisation: float  # share of the working hours a station sorts at the demo sorter's pace


@dataclass(frozen=True, slots=True)
class Measured:
    """Per-event costs from ``python -m bench storage_cost`` (the steady-rate figures)."""

    hub_cpu_s: float  # hub process and its ingest workers, CPU seconds per event
    broker_cpu_s: float  # Mosquitto, in and out
    influx_cpu_s: float
    influx_points: float  # points InfluxDB was asked to write per event (the event and rollup rewrites)
    bytes_per_event: float  # on disk after compaction, rollups included
    series_per_station: float  # sorting_event and rollup series together
    hub_idle_cores: float  # the hub's CPU with no events at all


@dataclass(frozen=True, slots=True)
class Load:
    scenario: Scenario
    peak_events_s: float  # every station sorting at the demo pace at once
    mean_events_s: float  # averaged over working hours
    events_per_year: float
    hub_cores: float  # at peak, idle included
    broker_cores: float
    influx_cores: float
    influx_points_s: float  # at peak
    disk_gb_per_year: float
    series: float


def load(scenario: Scenario, measured: Measured, events_per_hour: float) -> Load:
    peak = scenario.stations * events_per_hour / SECONDS_PER_HOUR
    mean_rate = peak * scenario.utilisation
    per_year = mean_rate * SECONDS_PER_HOUR * scenario.hours_per_day * scenario.days_per_year
    return Load(
        scenario=scenario,
        peak_events_s=peak,
        mean_events_s=mean_rate,
        events_per_year=per_year,
        hub_cores=measured.hub_idle_cores + peak * measured.hub_cpu_s,
        broker_cores=peak * measured.broker_cpu_s,
        influx_cores=peak * measured.influx_cpu_s,
        influx_points_s=peak * measured.influx_points,
        disk_gb_per_year=per_year * measured.bytes_per_event / 1e9,
        series=scenario.stations * measured.series_per_station,
    )


def stations_at_series_limit(measured: Measured, limit: int = INFLUX_V1_MAX_SERIES) -> int:
    """How many stations fill InfluxDB 1.x's default series limit."""
    return int(limit // measured.series_per_station)


# The scenarios of docs/capacity.md; the figures are assumptions, each argued there. Utilisation 0.2 makes the
# region's year about the 25 million events that docs/storage.md and the year benchmark take for 50 stations.
REGION = Scenario("region (the seed's 5 sites)", stations=50, hours_per_day=8, days_per_year=300, utilisation=0.2)
KRINGLOOP = Scenario("every Dutch kringloop", stations=2 * 2_000, hours_per_day=8, days_per_year=300, utilisation=0.2)
# 100,000 t of textile a year at 0.4 kg an item is 250 M items; a station at the demo pace, 70% of two 8-hour
# shifts on 250 days, weighs 2.9 M a year: 87 stations, rounded up.
TEXTILE = Scenario("national textile network", stations=90, hours_per_day=16, days_per_year=250, utilisation=0.7)
SCENARIOS = (REGION, KRINGLOOP, TEXTILE)


def table(measured: dict[Scenario, Measured], events_per_hour: float | None = None) -> list[str]:
    """The scenarios' loads as a markdown table (docs/capacity.md and the bench's section), each scenario with
    the per-event costs measured at the load shape nearest to it."""
    rate = events_per_hour or demo_events_per_hour()
    lines = [
        "| scenario | stations | events/s peak / mean | events a year | hub cores | Mosquitto cores "
        "| InfluxDB cores | InfluxDB points/s | disk a year | series |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, costs in measured.items():
        x = load(scenario, costs, rate)
        lines.append(
            f"| {scenario.name} | {scenario.stations:,} | {x.peak_events_s:,.0f} / {x.mean_events_s:,.0f} "
            f"| {x.events_per_year / 1e6:,.0f} M | {x.hub_cores:.2f} | {x.broker_cores:.2f} | {x.influx_cores:.2f} "
            f"| {x.influx_points_s:,.0f} | {x.disk_gb_per_year:,.1f} GB | {x.series:,.0f} |"
        )
    return lines
