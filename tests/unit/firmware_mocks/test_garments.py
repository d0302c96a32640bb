"""The demo textile camera's frames: a garment with a care label on a mat of the configured colour."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from firmware_mocks.garments import MAT_BGR, draw_garment, make_garment_frames_folder


def test_a_garment_lies_on_the_mat_inside_the_demo_crop() -> None:
    frame = draw_garment(0, np.random.default_rng(0)).astype(np.int16)
    mat = np.abs(frame - np.array(MAT_BGR)).max(axis=2) < 12
    assert mat[:60].all() and mat[420:].all()  # outside the crop (120, 60, 400, 360): only mat
    garment = ~mat[60:420, 120:520]
    assert 0.15 < garment.mean() < 0.6
    assert (frame[60:420, 120:520] > 240).all(axis=2).sum() > 300  # the white care label


def test_frames_folder(tmp_path: Path) -> None:
    folder = make_garment_frames_folder(tmp_path / "camera", 3, seed=1)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["frame_0000.png", "frame_0001.png", "frame_0002.png"]
    assert cv2.imread(str(folder / names[0])).shape == (480, 640, 3)
