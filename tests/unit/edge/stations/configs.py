"""Station configs for the unit tests of the station's parts: the documented example, with a journal in a folder."""

from pathlib import Path
from typing import Any

from config.station import StationConfig

EXAMPLE = Path(__file__).resolve().parents[4] / "docs" / "examples" / "station.toml"


def station_config(
    folder: Path, scale: dict[str, Any] | None = None, journal: dict[str, Any] | None = None, **top: Any
) -> StationConfig:
    """The example station, changed where a test says; its journal in ``folder``. No blind checks unless a test
    asks (``vision=...``): a test that expects its suggestion lit must not meet a blind item by chance."""
    base = StationConfig.load(EXAMPLE)
    return StationConfig.model_validate(
        base.model_dump()
        | {
            "scale": base.scale.model_dump() | (scale or {}),
            "journal": {"path": folder / "journal.sqlite"} | (journal or {}),
            "vision": base.vision.model_dump() | {"blind_share": 0.0},
        }
        | top
    )
