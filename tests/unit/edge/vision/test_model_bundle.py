import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from edge.vision.model_bundle import BundleError, pack_bundle, unpack_bundle


def model_pair(folder: Path, name: str = "plastic-1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.onnx").write_bytes(b"onnx bytes")
    (folder / f"{name}.card.json").write_text("{}")
    return folder / f"{name}.onnx"


def test_a_bundle_round_trips_and_is_reproducible(tmp_path: Path) -> None:
    model = model_pair(tmp_path / "trained")
    one = pack_bundle(model, tmp_path / "a.model.tar")
    two = pack_bundle(model, tmp_path / "b.model.tar")
    assert hashlib.sha256(one.read_bytes()).digest() == hashlib.sha256(two.read_bytes()).digest()
    unpacked = unpack_bundle(one, tmp_path / "station" / "models")
    assert unpacked.read_bytes() == b"onnx bytes" and unpacked.with_name("plastic-1.card.json").is_file()
    assert sorted(p.name for p in unpacked.parent.iterdir()) == ["plastic-1.card.json", "plastic-1.onnx"]


Member = tuple[str, bytes, bytes]


def hostile(tmp_path: Path, members: list[Member]) -> Path:
    """A tar with (name, type, data) members."""
    path = tmp_path / "hostile.model.tar"
    with tarfile.open(path, "w") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return path


@pytest.mark.parametrize(
    "members",
    [
        [("../evil.onnx", tarfile.REGTYPE, b"x"), ("../evil.card.json", tarfile.REGTYPE, b"{}")],
        [("/tmp/evil.onnx", tarfile.REGTYPE, b"x"), ("/tmp/evil.card.json", tarfile.REGTYPE, b"{}")],
        [("m.onnx", tarfile.SYMTYPE, b""), ("m.card.json", tarfile.REGTYPE, b"{}")],
        [("m.onnx", tarfile.REGTYPE, b"x"), ("other.card.json", tarfile.REGTYPE, b"{}")],
        [("m.onnx", tarfile.REGTYPE, b"x")],
        [("m.onnx", tarfile.REGTYPE, b"x"), ("m.card.json", tarfile.REGTYPE, b"{}"), ("x", tarfile.REGTYPE, b"")],
    ],
)
def test_a_hostile_bundle_is_refused_and_leaves_nothing(
    tmp_path: Path, members: list[tuple[str, bytes, bytes]]
) -> None:
    into = tmp_path / "station" / "models"
    with pytest.raises(BundleError):
        unpack_bundle(hostile(tmp_path, members), into)
    assert not into.exists() or list(into.iterdir()) == []
    assert not (tmp_path / "evil.onnx").exists()


def test_a_truncated_bundle_is_refused(tmp_path: Path) -> None:
    bundle = pack_bundle(model_pair(tmp_path / "trained"), tmp_path / "a.model.tar")
    bundle.write_bytes(bundle.read_bytes()[:700])
    with pytest.raises(BundleError):
        unpack_bundle(bundle, tmp_path / "station")
