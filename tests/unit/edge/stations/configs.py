"""Station configs for the unit tests of the station's parts: the documented example, with a journal in a folder."""

from pathlib import Path
from typing import Any

from config.station import StationConfig

EXAMPLE = Path(__file__).resolve().parents[4] / "docs" / "examples" / "station.toml"


def station_config(
    folder: Path, scale: dict[str, Any] | None = None, journal: dict[str, Any] | None = None, **top: Any
) -> StationConfig:
    """The example station, changed where a test says; its journal in ``folder``."""
    base = StationConfig.load(EXAMPLE)
    return StationConfig.model_validate(
        base.model_dump()
        | {
            "scale": base.scale.model_dump() | (scale or {}),
            "journal": {"path": folder / "journal.sqlite"} | (journal or {}),
        }
        | top
    )
