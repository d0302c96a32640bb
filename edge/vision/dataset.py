"""The labelled-image folder layout that station capture writes and that ``sortcentre vision train/eval`` read.

    ROOT/<stream>/<label>/<capture_id>.jpg     the frame, cropped to the scale plate
    ROOT/<stream>/<label>/<capture_id>.json    a CaptureMeta sidecar

``label`` is the category the sorter confirmed (a station category id such as ``pp`` or ``creme``). Rendered evaluation
sets use the same layout and add the ground truth of the marking they show (``truth``), so one reader serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

IMAGE_SUFFIX = ".jpg"
META_SUFFIX = ".json"


class Fibre(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fibre: str = Field(description="canonical fibre name: cotton, polyester, wool, viscose, polyamide, elastane, ...")
    percent: int = Field(ge=0, le=100)


class CompositionPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    part: str = Field("main", description="main, lining, trim, ... (a label without parts has one 'main' part)")
    fibres: tuple[Fibre, ...]


class MarkingTruth(BaseModel):
    """What a rendered evaluation image really shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(description="the text as rendered")
    polymer: str | None = Field(None, description="plastics: the polymer slug (pet, hdpe, pvc, ldpe, pp, ps, abs, ...)")
    composition: tuple[CompositionPart, ...] | None = Field(None, description="textiles: the composition")
    style: str | None = Field(None, description="how it was drawn, as key=value words (the held-apart test set)")


class CaptureMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capture_id: str
    stream: str
    label: str
    suggested: str | None = None
    shown: bool | None = None  # the suggestion was shown to the sorter (false: a blind check); None: not recorded
    accepted: bool | None = None
    model_version: str | None = None
    site: str | None = None
    station: str | None = None
    captured_at: datetime | None = None
    truth: MarkingTruth | None = None
    features: tuple[float, ...] | None = None  # the classifier backbone's features, when it ran on this frame


@dataclass(frozen=True, slots=True)
class Sample:
    image: Path
    meta: CaptureMeta


def sample_paths(root: Path, stream: str, label: str, capture_id: str) -> tuple[Path, Path]:
    folder = root / stream / label
    return folder / f"{capture_id}{IMAGE_SUFFIX}", folder / f"{capture_id}{META_SUFFIX}"


def iter_samples(root: Path, stream: str | None = None) -> Iterator[Sample]:
    """Every sample under ``root`` (optionally one stream), in a stable order; a sidecar that does not parse raises."""
    for meta_path in sorted(root.glob(f"*/*/*{META_SUFFIX}")):
        if stream is not None and meta_path.parent.parent.name != stream:
            continue
        image = meta_path.with_suffix(IMAGE_SUFFIX)
        if not image.exists():
            continue
        yield Sample(image, CaptureMeta.model_validate_json(meta_path.read_bytes()))
