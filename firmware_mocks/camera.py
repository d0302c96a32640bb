"""A simulated camera over the scale plate: generated images or a video, which the station reads through
OpenCV exactly as it reads a real camera's frames (``edge.stations.camera.Camera`` takes the folder or the
file as its source).

Each frame shows a grey plate with a coloured item on it, the resin code of its plastic written on it
(``>PP<``, as moulded into real packaging), and the frame number in a corner, so every frame differs.
"""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]

# Resin codes (ISO 11469 marking) and a BGR colour typical of that packaging.
ITEMS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    (">PP<", (40, 160, 230)),
    (">PE-HD<", (220, 220, 220)),
    (">PET<", (200, 170, 90)),
    (">PS<", (60, 60, 200)),
    (">PE-LD<", (70, 170, 60)),
)
PLATE_GREY = 128


def draw_frame(index: int, size: tuple[int, int] = (640, 480), rng: random.Random | None = None) -> Frame:
    """One frame (BGR, ``size`` is width x height) of an item lying on the grey plate."""
    rng = rng or random.Random(index)
    width, height = size
    frame = np.full((height, width, 3), 60, np.uint8)
    margin_x, margin_y = width // 10, height // 10
    cv2.rectangle(frame, (margin_x, margin_y), (width - margin_x, height - margin_y), (PLATE_GREY,) * 3, -1)
    label, colour = ITEMS[rng.randrange(len(ITEMS))]
    item_w = rng.randint(width // 5, width // 3)
    item_h = rng.randint(height // 5, height // 3)
    x = rng.randint(margin_x, width - margin_x - item_w)
    y = rng.randint(margin_y, height - margin_y - item_h)
    cv2.rectangle(frame, (x, y), (x + item_w, y + item_h), colour, -1)
    scale = max(width / 1280, 0.3)
    cv2.putText(frame, label, (x + 4, y + item_h // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.putText(frame, f"#{index}", (4, height - 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return frame


def make_frames_folder(folder: Path, count: int, size: tuple[int, int] = (640, 480), seed: int = 0) -> Path:
    """Write ``count`` PNG frames (lossless, so a test can match a returned frame to its file) named in
    the order a folder camera shows them: ``frame_0000.png``, ``frame_0001.png``, ..."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for index in range(count):
        path = folder / f"frame_{index:04d}.png"
        if not cv2.imwrite(str(path), draw_frame(index, size, rng)):
            raise OSError(f"cannot write {path}")
    return folder


def make_video(path: Path, count: int, size: tuple[int, int] = (640, 480), fps: float = 10.0, seed: int = 0) -> Path:
    """Write ``count`` frames as a Motion-JPEG AVI: OpenCV encodes that format itself, with no codec from
    the system, so the file can be written and read on any machine with opencv-python-headless."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write video {path}")
    rng = random.Random(seed)
    try:
        for index in range(count):
            writer.write(draw_frame(index, size, rng))
    finally:
        writer.release()
    return path
