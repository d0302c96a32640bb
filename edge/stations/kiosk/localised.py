"""What the kiosk's server adds to the agent's :class:`~edge.stations.kiosk.screen_state.ScreenState` before the page
gets it: the station's second language and the site's clock.

The agent knows categories and events; the language a sorter chose and the site's time zone belong to the screen,
so the server adds them here (and the agent's state stays the same for the heartbeat and the tests):

- ``languages``: the languages the language key cycles through, ``[{code, name, dir}]``;
- ``second_language``: the chosen one, ``{code, name, dir}``, or None for Dutch only;
- ``categories[i].second``: the tile's second line in that language ("" when none is chosen or a text is missing);
- ``time_zone``: the site's IANA zone, e.g. ``Europe/Amsterdam``;
- ``last_event.local_time``: the event's station time as ``HH:MM:SS`` in that zone (the kiosk browser's own zone
  is not the site's: a Pi without a configured zone runs in UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from edge.stations.kiosk.translations import KioskLanguages, Language


def _describe(language: Language) -> dict[str, str]:
    return {"code": language.code, "name": language.name, "dir": language.dir}


def local_time(iso: object, zone: ZoneInfo) -> str:
    """``HH:MM:SS`` in ``zone`` for an ISO 8601 time with an offset; "" for anything else."""
    if not isinstance(iso, str) or len(iso) > 40:
        return ""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    if when.tzinfo is None:
        return ""  # a time without an offset cannot be placed in any zone
    return when.astimezone(zone).strftime("%H:%M:%S")


def localised(state: Mapping[str, Any], languages: KioskLanguages, zone: ZoneInfo) -> dict[str, Any]:
    """A copy of ``state`` with the fields in this module's docstring added."""
    out = dict(state)
    chosen = languages.chosen
    station = state.get("station")
    stream = str(station.get("stream", "")) if isinstance(station, Mapping) else ""
    out["languages"] = [_describe(languages.languages[code]) for code in languages.order]
    out["second_language"] = None if chosen is None else _describe(chosen)
    tiles = []
    for tile in state.get("categories") or []:
        with_second = dict(tile)
        with_second["second"] = (
            ""
            if chosen is None
            else languages.second_line(chosen, stream, str(tile.get("id", "")), str(tile.get("en", "")))
        )
        tiles.append(with_second)
    out["categories"] = tiles
    out["time_zone"] = zone.key
    last = state.get("last_event")
    if isinstance(last, Mapping):
        out["last_event"] = {**last, "local_time": local_time(last.get("station_time"), zone)}
    return out
