"""One model as one file, for the trip from hub to station: a tar holding ``NAME.onnx`` and ``NAME.card.json``.

The hub signs the bundle's sha256 (edge/vision/model_signing.py, core/contract/fleet.py's ModelManifest), so the
model and its card travel and are checked as one. :func:`unpack_bundle` trusts nothing in the tar: exactly two
regular members, plain names (no folder, no ``..``, no link), the pair's names agreeing, and each under a size
limit; anything else is a :class:`BundleError` and nothing is left behind.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

from edge.vision.model_files import CARD_SUFFIX, MODEL_SUFFIX, card_path

BUNDLE_SUFFIX = ".model.tar"
# A classifier head on the shipped backbone is a few MiB with the backbone folded in; a card a few KiB.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_CARD_BYTES = 1024 * 1024


class BundleError(Exception):
    """A bundle that is not two plain files of one model."""


def pack_bundle(model_path: Path, out: Path) -> Path:
    """Write ``model_path`` and its card into the bundle ``out`` (a fixed member order and no owner or time, so
    the same model always gives the same bytes and the same sha256)."""

    def plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        info.mode = 0o644
        return info

    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(model_path, arcname=model_path.name, filter=plain)
        tar.add(card_path(model_path), arcname=card_path(model_path).name, filter=plain)
    return out


def unpack_bundle(bundle: Path, into: Path) -> Path:
    """Unpack ``bundle`` into the folder ``into`` (made if missing) and return the model's path there; raise
    :class:`BundleError` for anything but one model and its card. The files land under a temporary name first, so
    ``into`` never holds half a model."""
    try:
        with tarfile.open(bundle, "r:") as tar:
            members = tar.getmembers()
            if len(members) != 2 or not all(m.isreg() for m in members):
                raise BundleError(f"{bundle.name}: a bundle holds exactly two regular files")
            names = {m.name for m in members}
            models = [n for n in names if n.endswith(MODEL_SUFFIX)]
            if len(models) != 1 or any("/" in n or "\\" in n or n.startswith(".") for n in names):
                raise BundleError(
                    f"{bundle.name}: members must be NAME{MODEL_SUFFIX} and NAME{CARD_SUFFIX}, got {sorted(names)}"
                )
            model_name = models[0]
            if card_path(Path(model_name)).name not in names:
                raise BundleError(f"{bundle.name}: no card {card_path(Path(model_name)).name} beside {model_name}")
            for member in members:
                limit = MAX_CARD_BYTES if member.name.endswith(CARD_SUFFIX) else MAX_MEMBER_BYTES
                if member.size > limit:
                    raise BundleError(f"{bundle.name}: {member.name} is {member.size} bytes, over {limit}")
            into.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=into))
            try:
                tar.extractall(staging, members=members, filter="data")
                for member in members:
                    (staging / member.name).replace(into / member.name)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (tarfile.TarError, EOFError) as exc:
        raise BundleError(f"{bundle.name} is not a readable tar: {exc}") from exc
    return into / model_name
