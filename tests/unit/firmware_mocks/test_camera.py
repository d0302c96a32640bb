"""The simulated camera writes files OpenCV reads back."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from firmware_mocks.camera import draw_frame, make_frames_folder, make_video


def read_png(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path))
    assert image is not None
    return np.asarray(image, dtype=np.uint8)


def test_frames_folder_is_named_in_order_and_reproducible(tmp_path: Path) -> None:
    first = make_frames_folder(tmp_path / "a", count=3, size=(200, 100), seed=7)
    second = make_frames_folder(tmp_path / "b", count=3, size=(200, 100), seed=7)
    names = sorted(p.name for p in first.iterdir())
    assert names == ["frame_0000.png", "frame_0001.png", "frame_0002.png"]
    images = [read_png(first / name) for name in names]
    assert all(image.shape == (100, 200, 3) for image in images)
    assert not np.array_equal(images[0], images[1])
    assert np.array_equal(images[2], read_png(second / names[2]))


def test_frame_has_a_grey_plate_and_a_coloured_item() -> None:
    frame = draw_frame(0, (320, 240))
    assert tuple(frame[30, 40]) == (128, 128, 128) or tuple(frame[210, 280]) == (128, 128, 128)
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 3


def test_video_plays_back(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", count=4, size=(160, 120), fps=10.0)
    capture = cv2.VideoCapture(str(video))
    frames = 0
    while capture.read()[0]:
        frames += 1
    capture.release()
    assert frames == 4
