"""Camera reading the simulated camera's frames (a folder of PNGs, a video file) through OpenCV."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.contract.payloads import DeviceHealth
from edge.stations.camera import Camera, Frame
from firmware_mocks.camera import make_frames_folder, make_video
from tests.conftest import wait_until

SIZE = (160, 120)


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    return make_frames_folder(tmp_path / "frames", count=6, size=SIZE)


@pytest.fixture
def cameras() -> Iterator[list[Camera]]:
    opened: list[Camera] = []
    yield opened
    for camera in opened:
        camera.close()


def open_camera(cameras: list[Camera], source: Path | int | str | None, **options: object) -> Camera:
    settings: dict[str, object] = {"fault_after_s": 1.0, "retry_min_s": 0.1, "retry_max_s": 0.4, "sim_fps": 50.0}
    camera = Camera(source, **(settings | options))  # type: ignore[arg-type]
    cameras.append(camera)
    return camera


def read_png(path: Path) -> Frame:
    image = cv2.imread(str(path))
    assert image is not None
    return np.asarray(image, dtype=np.uint8)


def index_of(frame: Frame, folder: Path) -> int:
    files = sorted(folder.glob("*.png"))
    matches = [i for i, path in enumerate(files) if np.array_equal(read_png(path), frame)]
    assert len(matches) == 1
    return matches[0]


def test_folder_source_gives_the_newest_frame(cameras: list[Camera], frames: Path) -> None:
    camera = open_camera(cameras, frames)
    assert wait_until(lambda: camera.frames_read >= 8, timeout=3, interval=0.02)  # past one whole cycle
    assert camera.health == DeviceHealth.OK
    for _ in range(5):
        read_before = camera.frames_read
        frame = camera.latest(max_age_s=1.0)
        read_after = camera.frames_read
        assert frame is not None
        assert frame.shape == (SIZE[1], SIZE[0], 3)
        assert frame.dtype == np.uint8
        # The frame returned is the one read last (frames are read in name order, cycling): nothing stale.
        newest = {(n - 1) % 6 for n in range(read_before, read_after + 1)}
        assert index_of(frame, frames) in newest
        time.sleep(0.03)


def test_frames_are_shared_read_only(cameras: list[Camera], frames: Path) -> None:
    camera = open_camera(cameras, frames)
    assert wait_until(lambda: camera.latest(1.0) is not None, timeout=3, interval=0.02)
    frame = camera.latest(1.0)
    assert frame is not None
    with pytest.raises(ValueError, match="read-only"):
        frame[0, 0] = 0
    assert cv2.resize(frame, (32, 24)).shape == (24, 32, 3)  # OpenCV takes it as input all the same


def test_old_frame_is_not_returned(cameras: list[Camera], frames: Path) -> None:
    camera = open_camera(cameras, frames)
    assert wait_until(lambda: camera.latest(1.0) is not None, timeout=3, interval=0.02)
    camera.close()  # no more frames
    time.sleep(0.15)
    assert camera.latest(max_age_s=0.1) is None
    assert camera.latest(max_age_s=5.0) is not None


def test_missing_source_is_a_fault_without_blocking(cameras: list[Camera], tmp_path: Path) -> None:
    camera = open_camera(cameras, tmp_path / "no-such-camera")
    assert wait_until(lambda: camera.health == DeviceHealth.FAULT, timeout=3, interval=0.02)
    started = time.monotonic()
    for _ in range(100):
        assert camera.latest(max_age_s=10.0) is None
        assert camera.health == DeviceHealth.FAULT
    assert time.monotonic() - started < 0.05
    assert camera.frames_read == 0


def test_device_that_does_not_exist_is_a_fault(cameras: list[Camera]) -> None:
    camera = open_camera(cameras, 99)  # /dev/video99
    assert wait_until(lambda: camera.health == DeviceHealth.FAULT, timeout=3, interval=0.02)
    assert camera.latest(1.0) is None


def test_source_that_appears_later_is_picked_up(cameras: list[Camera], tmp_path: Path) -> None:
    folder = tmp_path / "later"
    camera = open_camera(cameras, folder)
    assert wait_until(lambda: camera.health == DeviceHealth.FAULT, timeout=3, interval=0.02)
    folder.mkdir()  # an empty folder is still no camera
    time.sleep(0.3)
    assert camera.health is DeviceHealth.FAULT
    make_frames_folder(folder, count=3, size=SIZE)
    assert wait_until(lambda: camera.latest(1.0) is not None, timeout=3, interval=0.02)
    assert camera.health is DeviceHealth.OK  # type: ignore[comparison-overlap]  # mypy keeps the narrowing above


def test_source_that_goes_away_is_a_fault(cameras: list[Camera], frames: Path) -> None:
    camera = open_camera(cameras, frames)
    assert wait_until(lambda: camera.health == DeviceHealth.OK and camera.frames_read > 0, timeout=3)
    shutil.rmtree(frames)
    assert wait_until(lambda: camera.health == DeviceHealth.FAULT, timeout=3, interval=0.02)
    # The last frame stays what it is, a true picture of a moment ago, until it is older than asked for.
    assert wait_until(lambda: camera.latest(max_age_s=0.2) is None, timeout=1, interval=0.02)
    time.sleep(0.3)
    assert camera.latest(max_age_s=0.2) is None


def test_crop_returns_the_plate_region(cameras: list[Camera], frames: Path) -> None:
    crop = (16, 12, 100, 80)
    full = open_camera(cameras, frames, sim_fps=1000.0)
    cropped = open_camera(cameras, frames, crop=crop)
    assert wait_until(lambda: cropped.latest(1.0) is not None and full.latest(1.0) is not None, timeout=3)
    region = cropped.latest(1.0)
    assert region is not None
    assert region.shape == (80, 100, 3)
    files = sorted(frames.glob("*.png"))
    originals = [read_png(path)[12:92, 16:116] for path in files]
    assert any(np.array_equal(region, original) for original in originals)


def test_crop_outside_the_frame_gives_none(cameras: list[Camera], frames: Path) -> None:
    camera = open_camera(cameras, frames, crop=(1000, 1000, 10, 10))
    assert wait_until(lambda: camera.frames_read > 0, timeout=3, interval=0.02)
    assert camera.latest(1.0) is None
    with pytest.raises(ValueError, match="crop"):
        Camera(frames, crop=(0, 0, 0, 10))


def test_video_file_source_loops(cameras: list[Camera], tmp_path: Path) -> None:
    video = make_video(tmp_path / "plate.avi", count=5, size=SIZE, fps=100.0)
    camera = open_camera(cameras, video)
    assert wait_until(lambda: camera.frames_read >= 12, timeout=3, interval=0.02)  # more than the file holds
    assert camera.frames_failed == 0
    frame = camera.latest(1.0)
    assert frame is not None
    assert frame.shape == (SIZE[1], SIZE[0], 3)


def test_no_camera_is_absent(cameras: list[Camera]) -> None:
    camera = open_camera(cameras, None)
    assert camera.health == DeviceHealth.ABSENT
    assert camera.latest(1.0) is None
    assert not camera.running


def test_close_ends_the_thread(cameras: list[Camera], frames: Path) -> None:
    camera = open_camera(cameras, frames, sim_fps=2.0)  # the thread is mostly waiting between frames
    assert wait_until(lambda: camera.frames_read > 0, timeout=3, interval=0.02)
    started = time.monotonic()
    camera.close()
    assert time.monotonic() - started < 0.5
    assert not camera.running
    read = camera.frames_read
    time.sleep(0.6)
    assert camera.frames_read == read
