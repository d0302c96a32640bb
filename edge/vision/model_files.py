"""Model files and their cards: every ONNX file the vision module runs has a JSON card next to it.

    models/NAME.onnx         the model
    models/NAME.card.json    its card (:class:`ModelCard`): what it is, how to feed it, what it was trained on, how well
                             it did, where it came from under which licence, and the file's sha256

:func:`load_model` refuses a file whose sha256 differs from its card's, so a half-copied or swapped file is never run
with the wrong card's classes or preprocessing. Every failure is a :class:`ModelFileError` naming the file; the station
catches it, logs it, and keeps weighing without suggestions.

``python -m edge.vision.model_files [FOLDER]`` checks every model in a folder (default ``models/``).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

if TYPE_CHECKING:
    import onnxruntime as ort

logger = logging.getLogger(__name__)

CARD_SUFFIX = ".card.json"
MODEL_SUFFIX = ".onnx"
# Two intra-op threads: a station has a 4-core Pi, and the weighing loop, camera reader and publisher need the rest.
DEFAULT_THREADS = 2
_HASH_CHUNK = 1 << 20


class ModelFileError(Exception):
    """A model file that cannot be used: missing, without a valid card, not matching its card, or not loadable."""


class Preprocessing(BaseModel):
    """How a BGR camera frame becomes the model's input tensor; training and inference must do the same."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(224, title="input size", description="square side in pixels")
    resize: Literal["shorter_side_then_centre_crop"] = Field(
        "shorter_side_then_centre_crop",
        description="scale the shorter side to `size` (area interpolation), then cut the centre square",
    )
    colour_order: Literal["RGB"] = "RGB"
    layout: Literal["NCHW"] = "NCHW"
    scale: float = Field(1 / 127.5, description="value = pixel * scale + offset")
    offset: float = Field(-1.0, description="with the default scale, pixels 0..255 map to -1..1")


class TensorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    shape: tuple[int | str, ...] = Field(description="'batch' marks the dynamic batch axis")
    meaning: str


class SplitCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    train: int = Field(ge=0)
    val: int = Field(ge=0)
    test: int = Field(ge=0)


class TrainingInfo(BaseModel):
    """What a trained head saw; absent for a backbone used as it came."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = Field(description="where the images came from")
    stream: str | None = None
    seed: int | None = None
    counts: dict[str, SplitCounts] = Field(default_factory=dict, description="images per class in each split")
    settings: dict[str, float | int | str] = Field(default_factory=dict, description="hyper-parameters used")


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    kind: Literal["backbone", "classifier"]
    created: datetime
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="of the model file this card sits next to")
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    preprocessing: Preprocessing
    classes: tuple[str, ...] = Field((), description="output order of a classifier's probabilities")
    training: TrainingInfo | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    source: str = Field(description="where the weights come from and how this file was made")
    licence: str
    notes: str = ""

    @model_validator(mode="after")
    def _classifier_has_classes(self) -> ModelCard:
        if self.kind == "classifier" and len(self.classes) < 2:
            raise ValueError("a classifier card lists at least two classes")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes are listed twice: {self.classes}")
        return self


def card_path(model_path: Path) -> Path:
    """``models/NAME.onnx`` -> ``models/NAME.card.json``."""
    return model_path.with_name(model_path.name.removesuffix(MODEL_SUFFIX) + CARD_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_card(model_path: Path, card: ModelCard) -> ModelCard:
    """Write ``card`` next to ``model_path`` with the file's actual sha256 (whatever ``card.sha256`` said)."""
    sealed = card.model_copy(update={"sha256": file_sha256(model_path)})
    card_path(model_path).write_text(sealed.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return sealed


def read_card(model_path: Path) -> ModelCard:
    """The card of ``model_path``, checked against the file's sha256; raises :class:`ModelFileError`."""
    path = card_path(model_path)
    if not model_path.is_file():
        raise ModelFileError(f"model file {model_path} does not exist")
    if not path.is_file():
        raise ModelFileError(f"model file {model_path} has no card: expected {path.name} next to it")
    try:
        card = ModelCard.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ModelFileError(f"card {path} of model file {model_path} is not valid: {exc}") from exc
    actual = file_sha256(model_path)
    if actual != card.sha256:
        raise ModelFileError(
            f"model file {model_path} does not match its card: sha256 {actual}, card says {card.sha256} "
            "(a partial copy, or the file was replaced without its card)"
        )
    return card


def load_model(path: Path, *, threads: int = DEFAULT_THREADS) -> tuple[ort.InferenceSession, ModelCard]:
    """Open ``path`` for inference after checking it against its card; raises :class:`ModelFileError`."""
    # onnxruntime (and numpy under it) is imported here, not with the module: the hub reads cards and bundles to
    # publish models and never runs one, and loading it there cost 60 MB in every hub process.
    import onnxruntime as ort

    card = read_card(path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Loading a graph that passed the sha256 check can still fail (an opset newer than this onnxruntime, a file
    # that was never ONNX); onnxruntime raises several exception types for that, none of them a bug of ours.
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelFileError(f"onnxruntime cannot load model file {path}: {exc}") from exc
    logger.info("loaded model %s (%s %s, sha256 %s)", path, card.name, card.version, card.sha256[:12])
    return session, card


def check_models_dir(folder: Path) -> list[ModelCard]:
    """Check every model file in ``folder`` against its card, and that no card is left without its file."""
    cards = [read_card(model) for model in sorted(folder.glob(f"*{MODEL_SUFFIX}"))]
    for card_file in sorted(folder.glob(f"*{CARD_SUFFIX}")):
        model = card_file.with_name(card_file.name.removesuffix(CARD_SUFFIX) + MODEL_SUFFIX)
        if not model.is_file():
            raise ModelFileError(f"card {card_file} has no model file: expected {model.name} next to it")
    return cards


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path("models")
    try:
        cards = check_models_dir(folder)
    except ModelFileError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    for card in cards:
        sys.stdout.write(f"ok  {card.name} {card.version} ({card.kind}) sha256 {card.sha256[:12]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
