"""Reading a moulded marking from frames taken under the station's side lights (``vision.lights``).

A marking moulded into the item, in the plastic's own colour, shows only by its relief. Under the room's diffuse light
that relief is faint; under a light close to the plate (a low angle) every wall facing the light is bright and every
wall facing away is dark. The station takes one frame per light while the weight settles (edge/stations/lights.py),
plus the ambient frame it always takes, and the reader uses them in two ways:

* **each lit frame is read** as a frame of its own (the OCR reader's relief pass handles it like an embossed marking);
* **one relief image is fused** from all of them, photometric-stereo-like: the ambient frame is subtracted (what is
  left is each LED's own light), each difference is divided by its local mean (the item's colour and the LED's fall-off
  across the plate cancel), which leaves the shading, about proportional to the surface's slope towards that light.
  With the lights' azimuths known, a least-squares fit per pixel gives the height gradient, and integrating it
  (Frankot-Chellappa, in the Fourier domain) gives the height map: the strokes of a raised marking come out bright on
  grey, those of a sunk one dark, like printed text, whatever way the item lies. With two opposite lights only one
  component of the gradient is known, and the height is integrated along that axis only.

Every view's reading then votes (:func:`vote`): the polymer is answered only when every view that read a polymer read
the same one; views that read nothing abstain; any disagreement gives no answer (a wrong PVC in a PET bale costs far
more than no answer).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from edge.vision.markings.plastics import PolymerReading

Frame = npt.NDArray[np.uint8]

# Local mean for the shading ratio: wider than a stroke (a 20-60 px character's strokes are 3-10 px), narrower than
# the LED's fall-off across the frame and the item's own bulges.
SHADING_SIGMA = 12.0
# Where a frame is darker than this (grey levels, local mean), its noise swamps any shading: nothing is measured there.
MIN_LIGHT = 4.0
# Integrated heights drift over long distances (the item's curvature, the fit's noise): what is wider than this is
# removed, so a stroke's height is measured against its own surroundings.
HEIGHT_SIGMA = 10.0
# The fused image's contrast: this many standard deviations of height span the grey scale, so the strokes are strong
# and the surface's fine grain stays grey.
HEIGHT_SPREAD = 4.0


@dataclass(frozen=True, slots=True)
class LitFrame:
    """A frame taken with one light on: ``azimuth_deg`` is where it shines from (0 top of the image, 90 right)."""

    frame: Frame
    azimuth_deg: float


def _grey(frame: Frame) -> npt.NDArray[np.float32]:
    if frame.ndim == 3:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.float32)
    return np.asarray(frame, np.float32)


def shading(ambient: Frame, lit: LitFrame) -> npt.NDArray[np.float32]:
    """The shading that one light adds: zero on a flat surface, positive on walls facing the light, negative on walls
    facing away, about proportional to the slope towards it.

    Each frame is divided by its local mean, which cancels the item's colour, the LED's fall-off across the plate and
    the camera's exposure (auto exposure scales each frame differently); the ambient frame's ratio is subtracted, which
    cancels the surface's own grain and print, the same in every frame, and leaves what the light's direction adds."""
    ratios = []
    for frame in (lit.frame, ambient):
        grey = _grey(frame)
        local = cv2.GaussianBlur(grey, (0, 0), SHADING_SIGMA)
        ratios.append(np.where(local > MIN_LIGHT, grey / np.maximum(local, 1e-3), 1.0))
    return np.asarray(np.clip(ratios[0] - ratios[1], -1.0, 3.0), np.float32)


def height_gradient(ambient: Frame, lit: Sequence[LitFrame]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The surface's height gradient (x right, y down), up to a scale, by least squares over the lights."""
    # For small slopes, the shading under a light from azimuth a is -(gx sin a - gy cos a) times a constant that only
    # depends on the light's elevation; stacked over the lights, one 2-column system per pixel.
    rows = np.array([(math.sin(math.radians(f.azimuth_deg)), -math.cos(math.radians(f.azimuth_deg))) for f in lit])
    solve = np.linalg.pinv(rows)  # 2 x n; a rank-1 system (two opposite lights) gives the min-norm gradient
    stack = np.stack([shading(ambient, f) for f in lit], axis=0)
    gx = -np.tensordot(solve[0], stack, axes=1)
    gy = -np.tensordot(solve[1], stack, axes=1)
    return np.asarray(gx, np.float32), np.asarray(gy, np.float32)


def integrate(gx: npt.NDArray[np.float32], gy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The height whose gradient is nearest (gx, gy) in the least-squares sense (Frankot and Chellappa, 1988)."""
    h, w = gx.shape
    wx = np.fft.fftfreq(w) * 2 * np.pi
    wy = np.fft.fftfreq(h) * 2 * np.pi
    u, v = np.meshgrid(wx, wy)
    denominator = u * u + v * v
    denominator[0, 0] = 1.0
    spectrum = (-1j * u * np.fft.fft2(gx) - 1j * v * np.fft.fft2(gy)) / denominator
    spectrum[0, 0] = 0.0
    return np.asarray(np.real(np.fft.ifft2(spectrum)), np.float32)


def fused_relief(ambient: Frame, lit: Sequence[LitFrame]) -> Frame:
    """The item's relief as a grey image (BGR): raised strokes bright, sunk strokes dark, on mid-grey."""
    gx, gy = height_gradient(ambient, lit)
    height = integrate(gx, gy)
    height = height - cv2.GaussianBlur(height, (0, 0), HEIGHT_SIGMA)
    spread = float(np.std(height)) or 1.0
    image = np.clip(128.0 + height * (128.0 / (HEIGHT_SPREAD * spread)), 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), np.uint8)


def views(ambient: Frame, lit: Sequence[LitFrame]) -> list[Frame]:
    """What the reader reads when the ambient frame gave no answer: the fused relief, then each lit frame."""
    if not lit:
        return []
    return [fused_relief(ambient, lit), *(f.frame for f in lit)]


@dataclass(frozen=True, slots=True)
class Vote:
    """The outcome of reading several views of one item: ``reading`` is None when no view read a polymer or when
    views disagree (``conflict``); ``counts`` says how many views read each polymer."""

    reading: PolymerReading | None
    counts: dict[str, int]

    @property
    def conflict(self) -> bool:
        return len(self.counts) > 1

    def describe(self) -> str:
        return ", ".join(f"{polymer} x{count}" for polymer, count in sorted(self.counts.items())) or "nothing read"


def vote(readings: Sequence[PolymerReading | None], min_agreeing: int = 1) -> Vote:
    """The polymer every view that read one agrees on, if at least ``min_agreeing`` views read it; else None.

    Precision first: one view reading another polymer is enough to abstain. Of the agreeing readings, the one with
    the most kinds of mark agreeing (abbreviation, digit, ISO code) is kept, for the confidence and the evidence."""
    read = [r for r in readings if r is not None]
    counts = dict(Counter(r.polymer for r in read))
    if len(counts) != 1 or len(read) < min_agreeing:
        return Vote(None, counts)
    best = max(read, key=lambda r: r.agreeing_marks)
    return Vote(best, counts)
