"""The hub's learning loop (docs/fleet.md, "Training at the hub" and "Canary and rollback"): where it trains, where it
keeps its rollouts, and the canary rule's settings: the hub's ``[learning]`` section."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from config.files import sqlite_file
from config.vision import VisionConfig


class LearningSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Defaults as text, validated to Path, so they read well in docs/configuration.md (see config.files.sqlite_file).
    dataset_folder: Path = Field(
        "var/hub/captures",
        validate_default=True,
        description="root of the per-site dataset folders the hub trains on (`FOLDER/<site>/<stream>/<label>/`): "
        "in the hub's config it defaults to `captures.folder`, where the stations' uploads are stored",
    )
    models_folder: Path = Field(
        "var/hub/trained", validate_default=True, description="trained models go to `FOLDER/<site>/<stream>/<version>/`"
    )
    thresholds: dict[str, float] = Field(
        default_factory=lambda: dict(VisionConfig().thresholds),
        description="per stream: the confidence threshold the stations show suggestions at; a new model is "
        "compared with the current one at this threshold",
    )
    default_threshold: float = Field(0.9, ge=0, le=1, description="threshold for streams not in `thresholds`")
    rollouts_file: Path = sqlite_file("var/hub/rollouts.sqlite", "SQLite file with the model rollouts and decisions")
    # 200 items give a shown acceptance near 0.9 a standard error of about 0.02: small beside the margin below.
    canary_items: int = Field(
        200, ge=1, le=1_000_000, description="items with a suggestion of the new model on the canary before deciding"
    )
    acceptance_margin: float = Field(
        0.05, ge=0, le=1, description="roll back when the canary's acceptance is more than this below the previous"
    )
    blind_margin: float = Field(
        0.05, ge=0, le=1, description="roll back when the canary's blind accuracy is more than this below the previous"
    )
    min_blind: int = Field(
        20, ge=1, le=1_000_000, description="blind items each model needs before blind accuracy can roll back"
    )
    previous_days: float = Field(
        30.0, gt=0, le=366, description="the previous model's figures count from this many days before the rollout"
    )
    check_interval_s: float = Field(60.0, gt=0, le=86_400, description="seconds between checks of open rollouts")

    def threshold(self, stream: str) -> float:
        return self.thresholds.get(stream, self.default_threshold)
