"""Captures uploaded to the hub (docs/fleet.md, "Captures"): the hub's ``[captures]`` section and the station's
``[hub]`` section (where its hub is and the token it uploads with)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from core.contract.captures import MAX_IMAGE_BYTES, MAX_META_BYTES


class CaptureUploadSettings(BaseModel):
    """The hub's dataset of uploaded captures: ``FOLDER/<site>/<stream>/<label>/<capture id>.jpg + .json``, so
    ``sortcentre vision train FOLDER/<site> --stream <stream>`` trains on one site's captures."""

    model_config = ConfigDict(extra="forbid")

    folder: Path = Field(Path("var/hub/captures"), description="root of the dataset folders, one per site")
    max_age_days: float = Field(
        365.0, gt=0, le=36_500, description="captures received longer ago than this are deleted"
    )
    max_items_per_site: int = Field(
        200_000, ge=1, le=100_000_000, description="captures kept per site at most; the oldest received go first"
    )
    max_image_bytes: int = Field(
        MAX_IMAGE_BYTES, ge=1024, le=MAX_IMAGE_BYTES, description="largest JPEG accepted; larger uploads get 413"
    )
    max_meta_bytes: int = Field(
        MAX_META_BYTES, ge=1024, le=MAX_META_BYTES, description="largest metadata (with a feature vector) accepted"
    )
    # A station uploads what it captured while the hub was away as fast as the hub answers; a few per second
    # lets a day's backlog (a few thousand items) through in minutes, and a stolen token cannot flood the disk.
    uploads_per_minute: int = Field(
        300, ge=1, le=100_000, description="uploads per station per minute, sustained (more get 429)"
    )
    burst: int = Field(60, ge=1, le=100_000, description="uploads per station allowed at once above that rate")
    decode_images: bool = Field(
        True, description="decode each JPEG (OpenCV) before storing it; off: only its first bytes are checked"
    )


class HubLinkConfig(BaseModel):
    """The station's ``[hub]`` section: its captures go here when the site consented (``vision.capture.enabled``),
    and its signed models come from here (``[models]``). No ``url``: nothing is uploaded and the station keeps its
    captures within its own retention, and it fetches no models."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None, description="the hub's address, e.g. `https://hub.example.nl`; none: no uploads, no model downloads"
    )
    upload_token: SecretStr | None = Field(
        None, description="the station's upload token; prefer `upload_token_file` or an environment variable"
    )
    upload_token_file: Path | None = Field(None, description="read the upload token from this file")
    upload_interval_s: float = Field(
        5.0, gt=0, le=3600, description="seconds between passes over the capture folder when nothing is waiting"
    )
    upload_batch: int = Field(20, ge=1, le=1000, description="captures uploaded per pass at most")
    upload_pause_s: float = Field(
        0.05, ge=0, le=60, description="pause between two uploads, so uploads never crowd the station's CPU"
    )
    timeout_s: float = Field(10.0, gt=0, le=300, description="HTTP timeout of one upload")
    retry_initial_s: float = Field(2.0, gt=0, le=3600, description="first wait after the hub did not answer")
    retry_max_s: float = Field(300.0, gt=0, le=86_400, description="longest wait between tries while it is away")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("write it as http(s)://host[:port]")
        return value

    def token(self) -> str | None:
        """The upload token: the file when one is named (stripped of its line end), else the value."""
        if self.upload_token_file is not None:
            return self.upload_token_file.read_text(encoding="utf-8").strip() or None
        return self.upload_token.get_secret_value() if self.upload_token is not None else None
