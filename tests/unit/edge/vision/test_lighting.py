"""Reading under the side lights: the fused relief shows raised strokes bright and sunk ones dark, and the views vote,
abstaining on any disagreement."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from edge.vision.lighting import LitFrame, fused_relief, views, vote
from edge.vision.markings.plastics import read_polymer

SIZE = (120, 160)  # rows, columns


STROKE = np.zeros(SIZE, bool)
STROKE[40:80, 60:100] = True
STROKE[46:74, 66:94] = False  # a square drawn with a 6 px stroke, like a moulded triangle's side


def bump(height: float) -> npt.NDArray[np.float32]:
    """The stroke, ``height`` px high (negative: sunk), with rounded walls."""
    surface = np.where(STROKE, np.float32(height), np.float32(0))
    return np.asarray(cv2.GaussianBlur(surface, (0, 0), 1.0), np.float32)


def lit_by(surface: npt.NDArray[np.float32], azimuth: float, elevation: float = 20.0) -> LitFrame:
    """Lambertian shading under a distant light from ``azimuth`` (0 top, 90 right), as the simulated camera does."""
    gy, gx = np.gradient(surface)
    az, el = math.radians(azimuth), math.radians(elevation)
    lx, ly, lz = math.cos(el) * math.sin(az), -math.cos(el) * math.cos(az), math.sin(el)
    shade = np.clip((-gx * lx - gy * ly + lz) / np.sqrt(gx * gx + gy * gy + 1), 0, None) / lz
    grey = np.clip(40 + 120 * shade, 0, 255).astype(np.uint8)
    return LitFrame(np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), np.uint8), azimuth)


AMBIENT = np.full((*SIZE, 3), 120, np.uint8)


def contrast(image: npt.NDArray[np.uint8]) -> float:
    """Mean grey on the stroke minus mean grey away from it."""
    grey = image[..., 0].astype(np.float32)
    away = np.concatenate([grey[5:25].ravel(), grey[95:115].ravel()])
    return float(grey[STROKE].mean() - away.mean())


def test_a_raised_marking_fuses_bright_and_a_sunk_one_dark_from_three_lights() -> None:
    for height, sign in ((2.0, 1), (-2.0, -1)):
        frames = [lit_by(bump(height), azimuth) for azimuth in (0, 120, 240)]
        assert sign * contrast(fused_relief(AMBIENT, frames)) > 20


def test_two_lights_at_right_angles_are_enough() -> None:
    frames = [lit_by(bump(2.0), azimuth) for azimuth in (45, 135)]
    assert contrast(fused_relief(AMBIENT, frames)) > 20


def test_the_views_are_the_fused_relief_then_each_lit_frame() -> None:
    frames = [lit_by(bump(1.0), azimuth) for azimuth in (0, 180)]  # opposite lights: one axis only, still fused
    found = views(AMBIENT, frames)
    assert len(found) == 3 and found[0].shape == AMBIENT.shape
    assert all(a is b.frame for a, b in zip(found[1:], frames, strict=True))
    assert views(AMBIENT, []) == []


def test_views_that_agree_answer_and_any_conflict_abstains() -> None:
    pp, pvc = read_polymer(["5", "PP"]), read_polymer(["PVC"])
    assert pp is not None and pvc is not None
    agreed = vote([pp, None, read_polymer(["PP"]), None])
    assert agreed.reading is not None and agreed.reading.polymer == "pp"
    assert agreed.reading.agreeing_marks == 2  # the reading with most kinds of mark is kept (digit + abbreviation)
    assert agreed.counts == {"pp": 2} and not agreed.conflict
    conflict = vote([pp, pp, pp, pvc])
    assert conflict.reading is None and conflict.conflict
    assert conflict.describe() == "pp x3, pvc x1"
    assert vote([None, None]).reading is None and vote([None]).describe() == "nothing read"
    assert vote([pp], min_agreeing=2).reading is None
