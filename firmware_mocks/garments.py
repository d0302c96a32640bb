"""A simulated camera over a textile station's scale mat: garments lying on a uniformly coloured mat, each with a
care label (a white patch with its fibre composition, as sewn into real clothes), some of them with holes.

The demo's textile station reads these frames from a folder (``make_garment_frames_folder``), cycled like the
plastic stations' frames (firmware_mocks/camera.py), and is configured with the same mat colour
(``vision.mat.bgr``), so its condition cues and the grading rules (edge/vision/textile/) have something to grade.
A frame is drawn for the demo, not to test the cues: their own tests render garments with measured damage
(tests/unit/edge/vision/textile/test_condition.py).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

Frame = npt.NDArray[np.uint8]

MAT_BGR = (70, 150, 60)  # a green scale mat, far from every garment colour below
GARMENT_COLOURS: tuple[tuple[int, int, int], ...] = (  # BGR: navy, red, white, black, beige, blue, pink, brown
    (110, 40, 20),
    (40, 40, 190),
    (235, 235, 235),
    (30, 30, 30),
    (160, 200, 220),
    (200, 120, 40),
    (180, 140, 230),
    (40, 70, 110),
)
# Care labels as printed on them: the fibre composition, in the words the label reader knows.
CARE_LABELS = (
    "100% COTTON",
    "100% KATOEN",
    "65% POLYESTER\n35% COTTON",
    "90% COTTON\n10% ELASTANE",
    "100% POLYESTER",
    "80% WOOL\n20% POLYAMIDE",
)
# A T-shirt's outline in units of its size, before its turn.
_SHIRT = np.array(
    [(-0.5, -1), (-0.2, -1.05), (0.2, -1.05), (0.5, -1), (1.0, -0.6), (0.75, -0.3), (0.5, -0.5), (0.5, 1),
     (-0.5, 1), (-0.5, -0.5), (-0.75, -0.3), (-1.0, -0.6)],
    dtype=np.float64,
)  # fmt: skip
# Where the garment lies: the middle of the demo stations' camera crop (120, 60, 400, 360) of a 640x480 frame.
_CENTRE = (320, 240)
LABEL_SIZE_PX = 13


def draw_garment(index: int, rng: np.random.Generator, size: tuple[int, int] = (640, 480)) -> Frame:
    """One frame (BGR, ``size`` is width x height): a garment with a care label on the mat; every third has holes."""
    width, height = size
    frame = np.empty((height, width, 3), np.float32)
    frame[:] = MAT_BGR
    angle = rng.uniform(-0.3, 0.3)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    scale = rng.uniform(120, 135)
    centre = np.array([_CENTRE[0] + rng.uniform(-15, 15), _CENTRE[1] + rng.uniform(-10, 10)])
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [(_SHIRT @ turn.T * scale + centre).astype(np.int32)], 1)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    weave = np.sin(2 * np.pi * xs / 4) * np.sin(2 * np.pi * ys / 4)  # woven cloth is not one flat colour
    cloth = np.empty_like(frame)
    cloth[:] = GARMENT_COLOURS[int(rng.integers(len(GARMENT_COLOURS)))]
    cloth *= (1 + 0.05 * weave + rng.normal(0, 0.02, (height, width)))[..., None]
    inside = mask.astype(bool)
    frame[inside] = cloth[inside]
    if index % 3 == 2:  # worn through: holes show the mat
        for _ in range(3):
            hole = (int(centre[0] + rng.uniform(-40, 40)), int(centre[1] + rng.uniform(10, 60)))
            cv2.ellipse(frame, hole, (10, 8), 0, 0, 360, MAT_BGR, -1)
    image = Image.fromarray(np.clip(frame, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    text = CARE_LABELS[index % len(CARE_LABELS)]
    font = _font()
    _, _, text_w, text_h = draw.multiline_textbbox((0, 0), text, font=font, spacing=3)
    left, top = int(centre[0] - text_w / 2), int(centre[1] - 0.6 * scale)
    draw.rectangle((left - 4, top - 3, left + text_w + 4, top + text_h + 5), fill=(250, 250, 250))
    draw.multiline_text((left, top), text, fill=(20, 20, 20), font=font, spacing=3)
    noisy = np.asarray(image).astype(np.float32) + rng.normal(0, 2, (height, width, 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's own font: no system font needed on a clean machine.
    return ImageFont.load_default(LABEL_SIZE_PX)


def make_garment_frames_folder(folder: Path, count: int, seed: int = 0) -> Path:
    """Write ``count`` PNG frames of garments on the mat, named in the order a folder camera shows them."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for index in range(count):
        path = folder / f"frame_{index:04d}.png"
        if not cv2.imwrite(str(path), draw_garment(index, rng)):
            raise OSError(f"cannot write {path}")
    return folder
