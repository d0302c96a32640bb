from __future__ import annotations

import errno
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from config.vision import CaptureConfig
from edge.vision import capture
from edge.vision.capture import CaptureStore
from edge.vision.dataset import iter_samples

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ROI = (40, 30, 120, 90)


def frame(seed: int = 0) -> npt.NDArray[np.uint8]:
    # Noise: any shift of the crop changes the picture.
    return np.random.default_rng(seed).integers(0, 256, (240, 320, 3), dtype=np.uint8)


def config(folder: Path, **overrides: object) -> CaptureConfig:
    values: dict[str, object] = {"enabled": True, "folder": folder, "plate_roi": ROI, "jpeg_quality": 95}
    return CaptureConfig.model_validate(values | overrides)


def put(store: CaptureStore, seed: int = 0, *, label: str = "pp", at: datetime = NOW) -> Path | None:
    return store.store(
        frame(seed),
        stream="plastic",
        label=label,
        suggested="pp",
        accepted=True,
        model_version="plastic-1",
        site="zwolle",
        station="zwolle-plastic-1",
        captured_at=at,
    )


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_consent_off_writes_nothing(tmp_path: Path) -> None:
    store = CaptureStore(CaptureConfig(folder=tmp_path / "captures", plate_roi=ROI))
    assert put(store) is None
    assert not (tmp_path / "captures").exists()
    assert store.counters.stored == store.counters.errors == 0


def test_enabled_needs_folder_and_roi_and_forbids_unknown_keys(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="plate_roi is required"):
        CaptureConfig(enabled=True, folder=tmp_path)
    with pytest.raises(ValidationError, match="folder is required"):
        CaptureConfig(enabled=True, plate_roi=ROI)
    with pytest.raises(ValidationError, match="w, h > 0"):
        CaptureConfig(enabled=True, folder=tmp_path, plate_roi=(0, 0, 0, 10))
    with pytest.raises(ValidationError, match="consent"):
        CaptureConfig.model_validate({"consent": True})
    assert CaptureConfig().enabled is False


def test_crop_is_exactly_the_plate_roi(tmp_path: Path) -> None:
    store = CaptureStore(config(tmp_path), clock=lambda: NOW)
    image_path = put(store, seed=5)
    assert image_path is not None
    stored = cv2.imread(str(image_path))
    x, y, w, h = ROI
    assert stored.shape == (h, w, 3)
    # JPEG is deterministic: the stored file decodes exactly like the ROI encoded at the same quality.
    _, expected = cv2.imencode(".jpg", frame(5)[y : y + h, x : x + w], [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert np.array_equal(stored, cv2.imdecode(expected, cv2.IMREAD_COLOR))
    _, shifted = cv2.imencode(".jpg", frame(5)[y + 1 : y + h + 1, x : x + w], [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert not np.array_equal(stored, cv2.imdecode(shifted, cv2.IMREAD_COLOR))


def test_reader_reads_back_what_was_stored(tmp_path: Path) -> None:
    store = CaptureStore(config(tmp_path), clock=lambda: NOW)
    first = put(store, 1, label="pp")
    second = put(store, 2, label="pet", at=NOW + timedelta(seconds=3))
    samples = list(iter_samples(tmp_path, stream="plastic"))
    assert sorted(s.image for s in samples) == sorted([first, second])
    meta = next(s.meta for s in samples if s.image == second)
    assert (meta.stream, meta.label, meta.suggested, meta.accepted) == ("plastic", "pet", "pp", True)
    assert (meta.model_version, meta.site, meta.station) == ("plastic-1", "zwolle", "zwolle-plastic-1")
    assert meta.captured_at == NOW + timedelta(seconds=3)
    assert second is not None
    assert meta.capture_id == second.stem
    assert second.parent == tmp_path / "plastic" / "pet"
    assert not list(tmp_path.rglob("*.tmp"))
    assert store.counters.items == 2
    assert store.counters.bytes == sum(p.stat().st_size for p in files(tmp_path))


def test_retention_by_count_keeps_the_newest(tmp_path: Path) -> None:
    store = CaptureStore(config(tmp_path, max_items=3), clock=lambda: NOW)
    kept = [put(store, i, at=NOW - timedelta(minutes=10 - i)) for i in range(5)]
    assert sorted(s.image for s in iter_samples(tmp_path)) == sorted(kept[2:])
    assert len(files(tmp_path)) == 6
    assert store.counters.pruned == 2


def test_retention_by_bytes(tmp_path: Path) -> None:
    probe = CaptureStore(config(tmp_path / "probe"), clock=lambda: NOW)
    put(probe)
    one_sample = probe.counters.bytes
    store = CaptureStore(config(tmp_path / "c", max_bytes=int(2.5 * one_sample)), clock=lambda: NOW)
    for i in range(6):
        put(store, 0, at=NOW + timedelta(seconds=i))
    assert store.counters.items == 2
    assert sum(p.stat().st_size for p in files(tmp_path / "c")) == store.counters.bytes <= 2.5 * one_sample


def test_retention_by_age_also_without_a_new_store(tmp_path: Path) -> None:
    now = [NOW]
    store = CaptureStore(config(tmp_path, max_age_days=5), clock=lambda: now[0])
    assert put(store, 1, at=NOW - timedelta(days=10)) is not None  # already too old: gone at once
    put(store, 2, at=NOW - timedelta(days=1))
    put(store, 3, at=NOW)
    assert store.counters.items == 2
    now[0] = NOW + timedelta(days=4, hours=1)
    assert store.prune() == 1
    assert [s.meta.captured_at for s in iter_samples(tmp_path)] == [NOW]


def test_index_is_rebuilt_from_the_folder_at_start(tmp_path: Path) -> None:
    first = CaptureStore(config(tmp_path), clock=lambda: NOW)
    paths = [put(first, i, at=NOW - timedelta(hours=5 - i)) for i in range(5)]
    second = CaptureStore(config(tmp_path, max_items=2), clock=lambda: NOW)
    assert second.counters.items == 5
    assert second.counters.bytes == first.counters.bytes
    assert second.prune() == 3
    assert sorted(s.image for s in iter_samples(tmp_path)) == sorted(paths[3:])


def test_crash_between_image_and_sidecar_leaves_no_half_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CaptureStore(config(tmp_path), clock=lambda: NOW)
    put(store, 1)
    real_write = capture._write_atomic

    class Crash(BaseException):
        """Stands in for the process dying: nothing catches it."""

    def crash_on_sidecar(path: Path, data: bytes, timestamp: float) -> None:
        if path.suffix == ".json":
            raise Crash
        real_write(path, data, timestamp)

    monkeypatch.setattr(capture, "_write_atomic", crash_on_sidecar)
    with pytest.raises(Crash):
        put(store, 2, at=NOW + timedelta(seconds=1))
    monkeypatch.undo()
    # The image landed, its sidecar did not: readers see only the earlier, whole sample.
    assert len(list(tmp_path.rglob("*.jpg"))) == 2
    assert len(list(iter_samples(tmp_path))) == 1
    (tmp_path / "plastic" / "pp" / "leftover.json.tmp").write_bytes(b"{")
    restarted = CaptureStore(config(tmp_path), clock=lambda: NOW)
    assert restarted.counters.items == 1
    assert len(files(tmp_path)) == 2  # the lone image and the tmp file were deleted


def test_disk_full_is_counted_not_raised_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CaptureStore(config(tmp_path), clock=lambda: NOW)
    real_write = capture._write_atomic

    def full_on_sidecar(path: Path, data: bytes, timestamp: float) -> None:
        if path.suffix == ".json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, data, timestamp)

    monkeypatch.setattr(capture, "_write_atomic", full_on_sidecar)
    assert put(store) is None
    assert files(tmp_path) == []
    assert store.counters.errors == 1
    assert store.counters.items == 0


def test_real_write_failure_removes_its_tmp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = CaptureStore(config(tmp_path), clock=lambda: NOW)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(capture.os, "fsync", no_space)
    assert put(store) is None
    assert files(tmp_path) == []
    assert store.counters.errors == 1


def test_unwritable_folder_is_counted_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    store = CaptureStore(config(blocker), clock=lambda: NOW)
    assert put(store) is None
    assert store.counters.errors == 1


def test_bad_label_or_roi_outside_the_frame_is_counted(tmp_path: Path) -> None:
    store = CaptureStore(config(tmp_path), clock=lambda: NOW)
    assert put(store, label="../../etc") is None
    outside = CaptureStore(config(tmp_path, plate_roi=(300, 200, 100, 100)), clock=lambda: NOW)
    assert put(outside) is None
    assert store.counters.errors == outside.counters.errors == 1
    assert files(tmp_path) == []


def test_capture_ids_are_uuid7_as_the_upload_contract_takes(tmp_path: Path) -> None:
    from core.contract.captures import is_capture_id

    path = put(CaptureStore(config(tmp_path), clock=lambda: NOW))
    assert path is not None
    assert is_capture_id(path.stem)
    assert UUID(path.stem).version == 7


def test_pending_lists_oldest_first_and_discard_keeps_the_counts_right(tmp_path: Path) -> None:
    store = CaptureStore(config(tmp_path, max_items=3), clock=lambda: NOW)
    paths = [put(store, seed, at=NOW - timedelta(minutes=10 - seed)) for seed in range(3)]
    assert [image for image, _meta in store.pending(10)] == paths
    size = store.counters.bytes
    first_image, first_meta = store.pending(1)[0]
    store.discard(first_meta)  # the hub confirmed it
    assert not first_image.exists()
    assert not first_meta.exists()
    assert store.counters.items == 2
    assert store.counters.bytes < size
    assert [image for image, _meta in store.pending(10)] == paths[1:]
    # Two more: retention counts only what is still here, so only the oldest remaining one goes.
    put(store, 5, at=NOW)
    put(store, 6, at=NOW)
    assert store.counters.items == 3
    assert store.counters.pruned == 1
    assert store.pending(1)[0][0] == paths[2]


def test_sidecars_keep_whether_the_suggestion_was_shown_and_the_features(tmp_path: Path) -> None:
    store = CaptureStore(config(tmp_path), clock=lambda: NOW)
    store.store(
        frame(),
        stream="plastic",
        label="pp",
        suggested="pet",
        accepted=False,
        model_version="plastic-1",
        site="zwolle",
        station="zwolle-plastic-1",
        captured_at=NOW,
        shown=False,
        features=np.array([0.5, 1.5], np.float32),
    )
    (sample,) = iter_samples(tmp_path)
    assert (sample.meta.shown, sample.meta.features) == (False, (0.5, 1.5))
