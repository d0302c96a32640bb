"""The hub's dataset folder: layout train reads, atomic and idempotent writes, retention, counts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.captures import CaptureUploadSettings
from edge.vision.dataset import iter_samples
from hub.captures.store import CaptureArchive, CaptureConflictError, Stored
from tests.unit.hub.captures.conftest import capture_meta, jpeg

DAY = 86_400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def archive(folder: Path, clock: Clock | None = None, **settings: object) -> CaptureArchive:
    values: dict[str, object] = {"folder": folder}
    return CaptureArchive(CaptureUploadSettings.model_validate(values | settings), clock=clock or Clock())


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_site_folder_is_a_dataset_that_train_reads(tmp_path: Path) -> None:
    store = archive(tmp_path)
    first, second = capture_meta(label="pp"), capture_meta(label="pet", site="zwolle")
    other_site = capture_meta(site="deventer", station="deventer-plastic-1")
    for index, meta in enumerate((first, second, other_site)):
        assert store.put(meta, jpeg(index)) is Stored.CREATED

    samples = list(iter_samples(store.site_root("zwolle"), "plastic"))
    assert {s.meta.capture_id for s in samples} == {first.capture_id, second.capture_id}
    read = next(s for s in samples if s.meta.capture_id == first.capture_id)
    assert read.image == tmp_path / "zwolle" / "plastic" / "pp" / f"{first.capture_id}.jpg"
    assert read.image.read_bytes() == jpeg(0)
    assert (read.meta.label, read.meta.suggested, read.meta.shown, read.meta.accepted) == ("pp", "pp", True, True)
    assert read.meta.features == (0.25, -1.5, 3.0)
    assert read.meta.station == "zwolle-plastic-1"
    assert not any(p.name.endswith(".tmp") for p in files(tmp_path))


def test_same_id_same_content_writes_nothing_and_other_content_is_a_conflict(tmp_path: Path) -> None:
    store = archive(tmp_path)
    meta = capture_meta()
    assert store.put(meta, jpeg(1)) is Stored.CREATED
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files(tmp_path)}
    # The same upload again, as after a station crashed before deleting its copy: answered, nothing written.
    assert store.put(capture_meta(**meta.model_dump(mode="json")), jpeg(1)) is Stored.UNCHANGED
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files(tmp_path)} == before
    with pytest.raises(CaptureConflictError):
        store.put(meta, jpeg(2))
    with pytest.raises(CaptureConflictError):
        store.put(meta.model_copy(update={"label": "pet"}), jpeg(1))
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files(tmp_path)} == before
    assert len(store) == 1


def test_counts_per_site_stream_and_label_scoped_to_sites(tmp_path: Path) -> None:
    store = archive(tmp_path)
    for label in ("pp", "pp", "pet"):
        store.put(capture_meta(label=label), jpeg())
    store.put(capture_meta(site="deventer", station="d-1", stream="textile", label="creme"), jpeg())
    assert store.counts() == {
        ("deventer", "textile", "creme"): 1,
        ("zwolle", "plastic", "pet"): 1,
        ("zwolle", "plastic", "pp"): 2,
    }
    assert store.counts(frozenset({"deventer"})) == {("deventer", "textile", "creme"): 1}
    assert store.counts(frozenset()) == {}


def test_retention_by_age_received_and_by_count_per_site(tmp_path: Path) -> None:
    clock = Clock()
    store = archive(tmp_path, clock, max_age_days=10, max_items_per_site=3)
    old = capture_meta()
    store.put(old, jpeg())
    clock.now += 11 * DAY
    newer = [capture_meta() for _ in range(3)]
    for meta in newer:
        store.put(meta, jpeg())
        clock.now += 1
    assert len(store) == 3  # the old one went by age
    assert not list(tmp_path.rglob(f"{old.capture_id}*"))
    store.put(capture_meta(site="deventer", station="d-1"), jpeg())  # another site has its own count
    store.put(capture_meta(), jpeg())  # a fourth for zwolle: its oldest goes
    assert not list(tmp_path.rglob(f"{newer[0].capture_id}*"))
    assert store.counts() == {("deventer", "plastic", "pp"): 1, ("zwolle", "plastic", "pp"): 3}
    assert store.pruned == 2


def test_index_is_rebuilt_at_start_and_crash_leftovers_are_deleted(tmp_path: Path) -> None:
    store = archive(tmp_path)
    kept = capture_meta()
    store.put(kept, jpeg(3))
    folder = tmp_path / "zwolle" / "plastic" / "pp"
    lone = folder / "0190a3b2-0000-7000-8000-000000000001.jpg"  # the sidecar was never written
    lone.write_bytes(jpeg())
    (folder / "0190a3b2-0000-7000-8000-000000000002.json.tmp").write_bytes(b"{")
    unrelated = tmp_path / ".features" / "abc" / "x.npy"  # a training cache beside the captures: left alone
    unrelated.parent.mkdir(parents=True)
    unrelated.write_bytes(b"cache")

    again = archive(tmp_path)
    assert len(again) == 1
    assert again.counts() == {("zwolle", "plastic", "pp"): 1}
    assert again.put(kept, jpeg(3)) is Stored.UNCHANGED
    assert not lone.exists()
    assert not list(folder.glob("*.tmp"))
    assert unrelated.exists()


def test_a_failed_sidecar_write_leaves_no_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = archive(tmp_path)
    real_fsync = os.fsync
    calls: list[int] = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the sidecar's
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space"):
        store.put(capture_meta(), jpeg())
    assert files(tmp_path) == []
    assert len(store) == 0


def test_a_name_outside_the_folder_is_refused_even_past_the_contract(tmp_path: Path) -> None:
    store = archive(tmp_path / "captures")
    hostile = capture_meta().model_construct(**(capture_meta().model_dump() | {"site": ".."}))  # no validation
    with pytest.raises(ValueError, match="outside"):
        store.put(hostile, jpeg())
    assert files(tmp_path) == []
