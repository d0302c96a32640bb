"""The station as other threads see it: one frozen :class:`AgentView`, replaced whole on every change.

Other threads (the kiosk's server, tests) never read the state machine's fields: the agent's thread publishes an
AgentView, a frozen object it swaps for a new one on every change (one reference assignment, atomic), so a reader
always sees one state whole, never the suggestion of one moment with the phase of the next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from config.station import StationConfig
from core.contract import DeviceHealth, SortingEvent, Suggestion
from edge.stations.weighing import WeightState


class Phase(StrEnum):
    """Where the item on the plate is in the sorting cycle (edge/stations/sorting.py has the diagram)."""

    IDLE = "idle"
    WEIGHING = "weighing"
    READY = "ready"
    DONE = "done"


# An item the station cannot record: why, as the sorter's screen names it.
REFUSED_JOURNAL_FULL = "journal_full"
REFUSED_TOO_LIGHT = "too_light"  # rounds to 0 g, which the contract refuses (min_weight_kg set below 0.0005 kg)
REFUSED_TOO_HEAVY = "too_heavy"
REFUSED_INVALID = "invalid_event"  # the contract refused the event the station built (e.g. a clock before 1970)


@dataclass(frozen=True, slots=True)
class LastEvent:
    """The station's latest sorting event, and whether the undo key has taken it back."""

    event: SortingEvent
    monotonic: float
    undone: bool = False


EMPTY = WeightState(0.0, False, False)


@dataclass(frozen=True, slots=True)
class Tile:
    """One category as the screen shows it: its labels, pictogram and button."""

    id: str
    nl: str
    en: str
    pictogram: str
    key: str


@dataclass(frozen=True, slots=True)
class AgentView:
    """The station as the kiosk and the heartbeat show it. Frozen: the agent replaces it, never changes it."""

    station_id: str
    site: str
    stream: str
    tiles: tuple[Tile, ...]
    confirm_key: str
    undo_key: str
    phase: Phase = Phase.IDLE
    weight: WeightState = EMPTY
    suggestion: Suggestion | None = None
    last: LastEvent | None = None
    refused: str | None = None
    """Why the press on the item now on the plate was refused (REFUSED_*); cleared when the plate empties."""
    journal_full: bool = False
    connected: bool = False
    scale: DeviceHealth = DeviceHealth.ABSENT
    camera: DeviceHealth = DeviceHealth.ABSENT
    journal_depth: int = 0
    warnings: tuple[str, ...] = ()

    @classmethod
    def at_start(cls, config: StationConfig) -> AgentView:
        """A station that has just started: idle, nothing known yet about its devices or its broker."""
        ident = config.station
        return cls(
            station_id=ident.id,
            site=ident.site,
            stream=ident.stream,
            tiles=tuple(Tile(c.id, c.nl, c.en, c.pictogram, c.key) for c in config.categories),
            confirm_key=config.buttons.confirm_key,
            undo_key=config.buttons.undo_key,
        )


class PublishedView:
    """The latest :class:`AgentView`. One writer (the agent's thread) replaces it; any thread reads it."""

    def __init__(self, first: AgentView) -> None:
        self._current = first

    @property
    def current(self) -> AgentView:
        """The latest view: one immutable object, safe to read from any thread."""
        return self._current

    def change(self, **changes: object) -> None:
        """Publish a new view with these fields changed. Only the agent's thread calls this (one writer)."""
        self._current = replace(self._current, **changes)  # type: ignore[arg-type]
