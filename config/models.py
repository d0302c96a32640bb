"""The hub's model store and its signing key (docs/fleet.md, "Signed rollout"): the ``[models]`` section."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ModelSettings(BaseModel):
    """Bundles the hub serves at ``/api/models/{file}`` and the Ed25519 key it signs their manifests with
    (``sortcentre models keygen`` writes the pair; only the hub reads the private one)."""

    model_config = ConfigDict(extra="forbid")

    folder: Path = Field(
        "var/hub/models", validate_default=True, description="the model store: one bundle file per version"
    )
    signing_key_file: Path = Field(
        "var/hub/model-signing.key",
        validate_default=True,
        description="the hub's Ed25519 private key (PEM), readable by the hub only",
    )
    public_key_file: Path = Field(
        "var/hub/model-signing.pub",
        validate_default=True,
        description="its public key (PEM): copy it to every station's `models.public_key_file`",
    )
    # A station fetches a model once per version; a whole site rolling out at once is a few dozen requests.
    downloads_per_minute: int = Field(
        30, ge=1, le=100_000, description="model downloads per client address per minute, sustained (more get 429)"
    )
    burst: int = Field(10, ge=1, le=100_000, description="downloads allowed at once above that rate")
