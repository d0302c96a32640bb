"""The kiosk's screen model: what the sorter's screen shows, as the JSON the page (static/kiosk.js) reads.

:class:`ScreenState` is the whole screen at one moment; the ``Screen*`` types are its parts, each the screen's
form of a station concept (the phase, a category tile, the last event). :func:`screen_state_of` builds it from
one :class:`~edge.stations.agent_view.AgentView`, so every field comes from the same moment of the station.
The server accepts any mapping with these keys; producers annotate their function as returning ScreenState so
mypy checks the shape. Everything in it is plain JSON (str, int, float, bool, None, list, dict).
"""

from __future__ import annotations

from typing import Literal, TypedDict

from edge.stations.agent_view import AgentView

ScreenPhase = Literal["idle", "weighing", "ready", "done"]
"""idle: scale empty; weighing: weight not yet stable; ready: choose a category; done: take the item off."""

ScreenHealth = Literal["ok", "fault", "absent"]
"""A device that is configured and answers (ok), configured and failing (fault), or not fitted (absent)."""

WarningCode = str
"""A code such as ``journal_full``, ``camera_fault``, ``scale_absent``, ``buttons_absent``; the page knows the texts
(and device pictograms) of the common ones and shows any other code as it is."""

RefusedCode = str
"""Why the station did not record the item on the plate: ``journal_full``, ``too_light`` (rounds to 0 g),
``too_heavy``, ``invalid_event`` (the contract refused the event); the page knows their texts."""


class ScreenStation(TypedDict):
    id: str
    site: str
    stream: str


class ScreenSuggestion(TypedDict):
    label: str
    """The category id the vision model suggests."""
    confidence: float
    """0..1; the page shows it as a percentage."""
    model_version: str


class ScreenTile(TypedDict):
    id: str
    nl: str
    en: str
    pictogram: str
    """A name from ``core/pictograms`` without ``.svg``; an unknown or empty name shows a generic pictogram."""
    key: str
    """The label of the physical button for this category, e.g. ``1``."""
    lit: bool
    """Whether that button's LED is on."""


class ScreenLastEvent(TypedDict):
    type: str
    """``sorted`` (the wire event type)."""
    category: str
    weight_kg: float
    seq: int
    station_time: str
    """ISO 8601 in UTC, e.g. ``2026-11-27T09:41:07.123Z``; the page shows it in the site's time zone (the kiosk's
    server adds it as ``local_time``, see :mod:`edge.stations.kiosk.localised`)."""
    undone: bool


class ScreenState(TypedDict):
    station: ScreenStation
    phase: ScreenPhase
    weight_kg: float | None
    """None while the scale gives no reading (the page shows a dash instead of a misleading 0)."""
    stable: bool
    suggestion: ScreenSuggestion | None
    categories: list[ScreenTile]
    confirm_key: str
    undo_key: str
    last_event: ScreenLastEvent | None
    refused: RefusedCode | None
    """Set when a press on the item now on the plate was refused; None again once the plate is empty."""
    connected: bool
    """Whether the MQTT connection to the hub is up."""
    scale: ScreenHealth
    camera: ScreenHealth
    journal_depth: int
    """Events stored on the station and not yet acknowledged by the hub."""
    warnings: list[WarningCode]


def screen_state_of(view: AgentView) -> ScreenState:
    """The kiosk page's JSON, from one view only."""
    suggestion = view.suggestion
    lit = suggestion.label if suggestion is not None else None
    last = view.last
    return {
        "station": {"id": view.station_id, "site": view.site, "stream": view.stream},
        "phase": view.phase.value,
        "weight_kg": round(view.weight.weight_kg, 3),
        "stable": view.weight.stable,
        "suggestion": None
        if suggestion is None
        else {
            "label": suggestion.label,
            "confidence": suggestion.confidence,
            "model_version": suggestion.model_version,
        },
        "categories": [
            {"id": t.id, "nl": t.nl, "en": t.en, "pictogram": t.pictogram, "key": t.key, "lit": t.id == lit}
            for t in view.tiles
        ],
        "confirm_key": view.confirm_key,
        "undo_key": view.undo_key,
        "last_event": None
        if last is None
        else {
            "type": last.event.type.value,
            "category": last.event.category,
            "weight_kg": last.event.weight_kg,
            "seq": last.event.seq,
            "station_time": last.event.model_dump(mode="json")["station_time"],
            "undone": last.undone,
        },
        "refused": view.refused,
        "connected": view.connected,
        "scale": view.scale.value,
        "camera": view.camera.value,
        "journal_depth": view.journal_depth,
        "warnings": list(view.warnings),
    }


def example() -> ScreenState:
    """The contract by example: a plastic station, idle, with nothing wrong. Tests and previews start from this."""
    return {
        "station": {"id": "zwolle-plastic-1", "site": "zwolle", "stream": "plastic"},
        "phase": "idle",
        "weight_kg": 0.0,
        "stable": True,
        "suggestion": None,
        "categories": [
            _tile("pp", "PP (polypropeen)", "PP (polypropylene)", "resin-5", "1"),
            _tile("ps", "PS (polystyreen)", "PS (polystyrene)", "resin-6", "2"),
            _tile("pet", "PET (flessen, bakjes)", "PET (bottles, trays)", "resin-1", "3"),
            _tile("hdpe", "HDPE (harde flacons)", "HDPE (rigid bottles)", "resin-2", "4"),
            _tile("ldpe", "LDPE (folie)", "LDPE (film)", "resin-4", "5"),
            _tile("residual", "Restafval", "Residual", "bin", "9"),
        ],
        "confirm_key": "C",
        "undo_key": "U",
        "last_event": None,
        "refused": None,
        "connected": True,
        "scale": "ok",
        "camera": "ok",
        "journal_depth": 0,
        "warnings": [],
    }


def _tile(id_: str, nl: str, en: str, pictogram: str, key: str) -> ScreenTile:
    return {"id": id_, "nl": nl, "en": en, "pictogram": pictogram, "key": key, "lit": False}
