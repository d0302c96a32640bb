"""A simulated camera over the scale plate: generated images or a video, which the station reads through
OpenCV exactly as it reads a real camera's frames (``edge.stations.camera.Camera`` takes the folder or the
file as its source).

Each frame shows a grey plate with a coloured item on it, the resin code of its plastic written on it
(``>PP<``, as moulded into real packaging), and the frame number in a corner, so every frame differs.

For the learning demo (``sortcentre demo --learning``) :class:`ItemCamera` shows instead the item the simulated
sorter is about to put on the plate: a rendered item whose shape, colour and texture depend on its category, with
noise in position, size, light and pixels, so that a classifier trained on the captured frames can learn the
categories. The sorter and the station share nothing but the camera's folder: the sorter writes the frame there
before it places the item, and the station's camera reads it as it reads any folder source.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

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


# The learning camera's looks. Category i of a station has shape i, colour i and texture i (each list cycled), so
# up to six categories differ in all three and up to 42 in at least one.
SHAPES = ("disc", "square", "triangle", "bar", "ring", "cross")
COLOURS: tuple[tuple[int, int, int], ...] = (  # BGR
    (40, 40, 210),
    (200, 90, 30),
    (40, 190, 40),
    (30, 200, 220),
    (180, 60, 180),
    (230, 230, 230),
    (30, 30, 30),
)
TEXTURES = ("plain", "stripes", "checks")
_T = 0.35  # half the width of a cross's arm
# The polygon shapes' corners, in units of the item's radius, before the item's turn.
OUTLINES: dict[str, tuple[tuple[float, float], ...]] = {
    "square": ((-1, -1), (1, -1), (1, 1), (-1, 1)),
    "triangle": ((0, -1.2), (1.1, 0.9), (-1.1, 0.9)),
    "bar": ((-1.3, -0.45), (1.3, -0.45), (1.3, 0.45), (-1.3, 0.45)),
    "cross": (
        (-_T, -1),
        (_T, -1),
        (_T, -_T),
        (1, -_T),
        (1, _T),
        (_T, _T),
        (_T, 1),
        (-_T, 1),
        (-_T, _T),
        (-1, _T),
        (-1, -_T),
        (-_T, -_T),
    ),
}
# Where the item lies: inside the demo stations' camera crop (120, 60, 400, 360) of a 640x480 frame.
PLATE_REGION = (150, 90, 340, 300)
ITEM_FRAME = "plate.jpg"


def _noise(rng: np.random.Generator, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
    """Sensor noise, about 6 grey levels either way: uniform integers, several times faster to draw than normal."""
    return (rng.integers(-10, 11, shape, np.int16)).astype(np.float32)


def draw_plate(rng: np.random.Generator, size: tuple[int, int] = (640, 480)) -> Frame:
    """An empty plate under varying light, with sensor noise (BGR, ``size`` is width x height)."""
    width, height = size
    light = rng.uniform(0.8, 1.15)
    frame = np.full((height, width, 3), 60.0, np.float32)
    margin_x, margin_y = width // 10, height // 10
    frame[margin_y : height - margin_y, margin_x : width - margin_x] = PLATE_GREY
    frame = frame * np.float32(light) + _noise(rng, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def draw_item(category: int, rng: np.random.Generator, size: tuple[int, int] = (640, 480)) -> Frame:
    """The plate with an item of the station's ``category``-th category on it: its shape, colour and texture
    come from the category, its position, size, turn, light, colour shade and pixel noise from ``rng``."""
    width, height = size
    light = rng.uniform(0.8, 1.15)
    frame = np.full((height, width, 3), 60.0, np.float32)
    margin_x, margin_y = width // 10, height // 10
    frame[margin_y : height - margin_y, margin_x : width - margin_x] = PLATE_GREY
    left, top, region_w, region_h = (
        PLATE_REGION[0] * width // 640,
        PLATE_REGION[1] * height // 480,
        PLATE_REGION[2] * width // 640,
        PLATE_REGION[3] * height // 480,
    )
    r = int(rng.integers(min(region_w, region_h) // 6, min(region_w, region_h) // 3))
    cx = int(rng.integers(left + r, left + region_w - r))
    cy = int(rng.integers(top + r, top + region_h - r))
    mask = np.zeros((height, width), np.uint8)
    shape = SHAPES[category % len(SHAPES)]
    angle = rng.uniform(0, np.pi)
    if shape == "disc":
        cv2.circle(mask, (cx, cy), r, 255, -1)
    elif shape == "ring":
        cv2.circle(mask, (cx, cy), r, 255, -1)
        cv2.circle(mask, (cx, cy), r // 2, 0, -1)
    else:
        corners = OUTLINES[shape]
        cos, sin = np.cos(angle), np.sin(angle)
        points = np.array([(cx + r * (x * cos - y * sin), cy + r * (x * sin + y * cos)) for x, y in corners])
        cv2.fillPoly(mask, [points.round().astype(np.int32)], 255)
    colour = np.clip(np.array(COLOURS[category % len(COLOURS)], float) + rng.integers(-20, 21, 3), 0, 255)
    texture = TEXTURES[category % len(TEXTURES)]
    # Paint only the item's box (the outlines reach at most 1.4 radii from the centre): a whole frame is slow.
    x0, y0 = max(cx - 3 * r // 2, 0), max(cy - 3 * r // 2, 0)
    x1, y1 = min(cx + 3 * r // 2 + 1, width), min(cy + 3 * r // 2 + 1, height)
    yy, xx = np.ogrid[y0:y1, x0:x1]
    if texture == "stripes":
        pattern = ((xx * np.cos(angle) + yy * np.sin(angle)) // 9 % 2).astype(bool)
    elif texture == "checks":
        pattern = ((yy // 10 + xx // 10) % 2).astype(bool)
    else:
        pattern = np.ones((y1 - y0, x1 - x0), bool)
    item = mask[y0:y1, x0:x1] > 0
    box = frame[y0:y1, x0:x1]
    box[item & pattern] = colour
    box[item & ~pattern] = colour * 0.45
    frame = frame * np.float32(light) + _noise(rng, frame.shape)
    return np.asarray(cv2.GaussianBlur(np.clip(frame, 0, 255).astype(np.uint8), (3, 3), 0), np.uint8)


class ItemCamera:
    """The learning demo's camera: one image in ``folder`` (a station's folder camera source), replaced atomically
    by the item that is about to land on the plate, and by an empty plate when it is taken off.

    The station's camera lists the folder again after each image, so it sees a new one within a frame (``sim_fps``);
    the sorter writes before it places the item, and the station takes its frame ``frame_delay_s`` after the weight
    rises, so the frame the station suggests from, and captures, shows that item."""

    def __init__(
        self, folder: Path, categories: Sequence[str], seed: int | None = None, size: tuple[int, int] = (640, 480)
    ) -> None:
        self.folder = folder
        self.size = size
        self._index = {category: i for i, category in enumerate(categories)}
        self._rng = np.random.default_rng(seed)
        folder.mkdir(parents=True, exist_ok=True)
        others = [p.name for p in folder.iterdir() if p.name != ITEM_FRAME and not p.name.startswith(".")]
        if others:
            # The station's camera would cycle through them too, and show other items than the one on the plate.
            logger.warning(
                "camera folder %s holds %d other files besides %s: frames will mix", folder, len(others), ITEM_FRAME
            )
        self.clear()

    def show(self, category: str) -> None:
        """The item of ``category`` (a station category id) is about to land on the plate."""
        self._write(draw_item(self._index[category], self._rng, self.size))

    def clear(self) -> None:
        """The plate is empty."""
        self._write(draw_plate(self._rng, self.size))

    def _write(self, frame: Frame) -> None:
        ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
        if not ok:
            raise OSError(f"cannot encode a {frame.shape} frame")
        # A dot name without an image suffix: the station's camera never lists the half-written file.
        partial = self.folder / f".{ITEM_FRAME}.partial"
        partial.write_bytes(encoded.tobytes())
        partial.replace(self.folder / ITEM_FRAME)


# -- moulded markings under the station's lights ------------------------------------------------------------------
# A recycling triangle moulded into the item: same colour as the plastic, seen only by its relief. The relief is a
# height map; each frame shades its surface normals (Lambertian) under one light: the station's low-angle LEDs one
# at a time, and the ambient frame under the room's weak, diffuse light, where the relief is faint.
RESIN_MARKS: dict[int, tuple[tuple[str, ...], str]] = {
    1: (("PET", "PETE"), "pet"),
    2: (("HDPE", "PE-HD"), "hdpe"),
    3: (("PVC", "V"), "pvc"),
    4: (("LDPE", "PE-LD"), "ldpe"),
    5: (("PP",), "pp"),
    6: (("PS",), "ps"),
    7: (("OTHER", "O"), "other"),
}
MOULDED_COLOURS: tuple[tuple[int, int, int], ...] = (  # BGR of common packaging plastics
    (235, 235, 232),
    (200, 205, 200),
    (60, 60, 62),
    (170, 110, 40),
    (50, 50, 180),
    (60, 140, 60),
    (40, 190, 220),
    (150, 150, 150),
    (120, 80, 140),
    (30, 90, 200),
)
LED_ELEVATION_DEG = (12.0, 25.0)  # low angle: a light this close to the plate throws long light and shadow
LED_FALLOFF = 0.45  # the far side of the frame gets this much less of a side light than the near side
MAX_SHIFT = 1.2  # px: how far the item may move between frames while the weight settles
TRIANGLE_SIDE = (50.0, 190.0)  # px: small tubs to large crates, as the held-apart set draws them
RELIEF_PX = (0.5, 2.2)  # how high (or deep) the moulded marking stands, in pixels of the frame
SHADOW_STEPS = 12  # px looked ahead for a wall between a pixel and a low light: a 2.2 px wall at 12° throws 10 px
GLOSS_EXPONENT = 40.0  # how narrow a glossy item's glints are
EXPOSURE_MEAN = 0.85  # the auto exposure's target, of full scale on a white item
# Share of the room's light that comes from the whole sky (no direction: faint relief), the rest from one lamp high up.
AMBIENT_DIFFUSE = (0.55, 0.9)


@dataclass(frozen=True, slots=True)
class MouldedItem:
    """One item seen by the station's camera: the ambient frame and one frame per light, in the lights' order."""

    ambient: Frame
    lit: tuple[Frame, ...]
    polymer: str  # the truth: the polymer slug of the triangle's digit
    text: str  # digit and abbreviation as moulded


def _arrow_triangle(draw: ImageDraw.ImageDraw, cx: float, cy: float, side: float, width: int) -> None:
    """Three arrows chasing round an equilateral triangle, apex up, centred at (cx, cy)."""
    r = side / math.sqrt(3)
    corners = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in (-90, 30, 150)]
    gap, head = 0.14, max(5.0, side * 0.12)
    for i in range(3):
        (x0, y0), (x1, y1) = corners[i], corners[(i + 1) % 3]
        sx, sy = x0 + (x1 - x0) * gap, y0 + (y1 - y0) * gap
        ex, ey = x0 + (x1 - x0) * (1 - gap), y0 + (y1 - y0) * (1 - gap)
        draw.line([(sx, sy), (ex, ey)], fill=255, width=width)
        norm = math.hypot(ex - sx, ey - sy)
        dx, dy = (ex - sx) / norm, (ey - sy) / norm
        tip = (ex + dx * head, ey + dy * head)
        draw.polygon(
            [tip, (ex - dy * head * 0.6, ey + dx * head * 0.6), (ex + dy * head * 0.6, ey - dx * head * 0.6)], fill=255
        )


def _marking_mask(rng: random.Random, fonts: Sequence[Path], digit: int, abbreviation: str) -> npt.NDArray[np.float32]:
    """The triangle, its digit and the abbreviation under it, white on black, upright."""
    side = rng.uniform(*TRIANGLE_SIDE)
    abbr_size = int(max(20, min(40, side * rng.uniform(0.2, 0.3))))
    digit_font = ImageFont.truetype(
        str(rng.choice([f for f in fonts if "Mono" not in f.name] or list(fonts))), int(side * rng.uniform(0.38, 0.48))
    )
    abbr_font = ImageFont.truetype(str(rng.choice(fonts)), abbr_size)
    al, at, ar, ab = abbr_font.getbbox(abbreviation)
    w = int(max(side * 1.3, ar - al + abbr_size))
    h = int(side * 1.15 + (ab - at) + abbr_size * 1.2)
    image = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(image)
    cx, cy = w / 2, abbr_size * 0.4 + side / math.sqrt(3)
    _arrow_triangle(draw, cx, cy, side, width=max(3, int(side / 18)))
    dl, dt, dr, db = digit_font.getbbox(str(digit))
    draw.text((cx - (dr - dl) / 2 - dl, cy + side * 0.05 - (db - dt) / 2 - dt), str(digit), font=digit_font, fill=255)
    abbr_y = cy + side / (2 * math.sqrt(3)) + side * 0.1 + abbr_size * 0.25
    draw.text((cx - (ar - al) / 2 - al, abbr_y - at), abbreviation, font=abbr_font, fill=255)
    return np.asarray(image, np.float32) / 255.0


def _place(mask: npt.NDArray[np.float32], rng: random.Random, size: tuple[int, int]) -> npt.NDArray[np.float32]:
    """The mask turned any way round (a sorter lays items down as they come) and placed inside the frame."""
    width, height = size
    h, w = mask.shape
    angle = rng.uniform(0, 360)
    diagonal = math.hypot(w, h)
    scale = min(1.0, 0.9 * min(width, height) / diagonal)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    margin = diagonal * scale / 2 + 4
    cx = rng.uniform(margin, max(margin, width - margin))
    cy = rng.uniform(margin, max(margin, height - margin))
    matrix[:, 2] += (cx - w / 2, cy - h / 2)
    return np.asarray(cv2.warpAffine(mask, matrix, (width, height), flags=cv2.INTER_LINEAR), np.float32)


def _shade(
    gx: npt.NDArray[np.float32], gy: npt.NDArray[np.float32], azimuth_deg: float, elevation_deg: float
) -> npt.NDArray[np.float32]:
    """Lambertian shading of the surface with height gradients (gx, gy) under a distant light from ``azimuth_deg``
    (0 top of the image, 90 right, clockwise) at ``elevation_deg`` above the plate."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    # Image axes: x to the right, y down; the light's direction from the surface towards it.
    lx, ly, lz = math.cos(el) * math.sin(az), -math.cos(el) * math.cos(az), math.sin(el)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    return np.asarray(np.clip((-gx * lx - gy * ly + lz) / norm, 0.0, None), np.float32)


def _lit_from(heights: npt.NDArray[np.float32], azimuth_deg: float, elevation_deg: float) -> npt.NDArray[np.float32]:
    """1 where the light reaches the surface, 0 in the shadow a raised wall throws away from a low light."""
    az, rise = math.radians(azimuth_deg), math.tan(math.radians(elevation_deg))
    dx, dy = math.sin(az), -math.cos(az)  # one pixel towards the light, in image axes
    height, width = heights.shape
    horizon = np.full_like(heights, -np.inf)
    for step in range(1, SHADOW_STEPS + 1):
        # The surface ``step`` px towards the light, lowered by how much the ray climbs over that distance.
        shift = np.array([[1, 0, -dx * step], [0, 1, -dy * step]], np.float32)
        ahead = cv2.warpAffine(heights, shift, (width, height), borderMode=cv2.BORDER_REPLICATE)
        horizon = np.maximum(horizon, ahead - step * rise)
    return np.asarray(cv2.GaussianBlur((horizon <= heights).astype(np.float32), (0, 0), 0.7), np.float32)


def _glint(
    gx: npt.NDArray[np.float32], gy: npt.NDArray[np.float32], azimuth_deg: float, elevation_deg: float
) -> npt.NDArray[np.float32]:
    """The LED's specular reflection on glossy plastic seen from straight above (Blinn-Phong): walls tilted halfway
    towards the light shine, the flat plate does not."""
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    half = np.array([math.cos(el) * math.sin(az), -math.cos(el) * math.cos(az), math.sin(el) + 1.0])
    half /= np.linalg.norm(half)
    norm = np.sqrt(gx * gx + gy * gy + 1.0)
    facing = np.clip((-gx * half[0] - gy * half[1] + half[2]) / norm, 0.0, 1.0)
    return np.asarray(facing**GLOSS_EXPONENT, np.float32)


def render_moulded(
    rng: random.Random,
    np_rng: np.random.Generator,
    fonts: Sequence[Path],
    azimuths_deg: Sequence[float],
    size: tuple[int, int] = (640, 480),
    digit: int | None = None,
) -> MouldedItem:
    """An item with a recycling triangle moulded into it (raised or sunk, in the plastic's own colour), seen in the
    ambient frame and under each light at ``azimuths_deg`` (the station's ``vision.lights``), drawn in ``fonts``.

    The triangle is 50-190 px across, its relief 0.5-2.2 px high with rounded walls; each light is a point-like LED
    12-25° above the plate whose light falls off across the frame, with the shadows the walls throw and, on glossy
    items, glints; the ambient frame is the room's diffuse light with a weak directional part, so its relief is
    faint."""
    width, height = size
    digit = digit if digit is not None else rng.randint(1, 7)
    names, polymer = RESIN_MARKS[digit]
    abbreviation = rng.choice(names)
    mask = _place(_marking_mask(rng, fonts, digit, abbreviation), rng, size)
    wall = rng.uniform(0.7, 1.4)  # px: how round the mould's edges are
    relief = rng.uniform(*RELIEF_PX) * (1 if rng.random() < 0.5 else -1)  # raised or sunk
    heights = cv2.GaussianBlur(mask, (0, 0), wall) * relief
    # The item itself is not flat: a gentle bulge and waviness, far wider than any stroke.
    heights += cv2.resize(np_rng.normal(0, 2.0, (4, 5)).astype(np.float32), size, interpolation=cv2.INTER_CUBIC)
    gy, gx = (np.asarray(g, np.float32) for g in np.gradient(heights.astype(np.float32)))
    glossy = rng.uniform(0.0, 1.5) if rng.random() < 0.5 else 0.0  # half the items shine: glints on the walls
    colour = np.clip(np.array(rng.choice(MOULDED_COLOURS), np.float32) + np_rng.normal(0, 8, 3), 10, 250) / 255.0
    # The plastic's own grain and speckle: part of the surface, so the same in every frame.
    grain = 1.0 + cv2.GaussianBlur(np_rng.normal(0, 0.03, (height, width)).astype(np.float32), (0, 0), 0.8)
    albedo = grain[..., None] * colour[None, None, :]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)

    def frame_of(light: npt.NDArray[np.float32], exposure: float) -> Frame:
        # The camera's auto exposure brings the frame's mean to about the same level under any light.
        image = albedo * (light * (EXPOSURE_MEAN * exposure / max(float(light.mean()), 1e-3)))[..., None] * 255.0
        noisy = np.asarray(image + np_rng.normal(0, rng.uniform(1.0, 2.5), image.shape), np.float32)  # sensor noise
        sigma = rng.uniform(0.0, 0.9)
        if sigma > 0.3:
            noisy = np.asarray(cv2.GaussianBlur(noisy, (0, 0), sigma), np.float32)
        return np.clip(noisy, 0, 255).astype(np.uint8)

    # Ambient: mostly sky light (a surface sees less of it the more it tilts), a little from one room lamp high up.
    flat = 1.0 / np.sqrt(gx * gx + gy * gy + 1.0)
    room = _shade(gx, gy, rng.uniform(0, 360), rng.uniform(50, 75))
    diffuse = rng.uniform(*AMBIENT_DIFFUSE)
    ambient_light = diffuse * (0.5 + 0.5 * flat) + (1 - diffuse) * room
    ambient_level = rng.uniform(0.35, 0.6)  # the room is dim next to the LEDs
    ambient = frame_of(ambient_light, rng.uniform(0.9, 1.1))
    lit = []
    for azimuth in azimuths_deg:
        elevation = rng.uniform(*LED_ELEVATION_DEG)
        shading = _shade(gx, gy, azimuth, elevation) / math.sin(math.radians(elevation))  # 1 on the flat plate
        shading = shading * _lit_from(heights, azimuth, elevation) + glossy * _glint(gx, gy, azimuth, elevation)
        # Nearer the LED's side of the frame, more light: the LED shines from outside the frame at that azimuth.
        az = math.radians(azimuth)
        towards = ((xx - width / 2) * math.sin(az) - (yy - height / 2) * math.cos(az)) / (max(width, height) / 2)
        falloff = 1.0 + LED_FALLOFF * 0.5 * towards
        light = ambient_light * ambient_level + rng.uniform(0.35, 0.5) * shading * falloff
        frame = frame_of(light.astype(np.float32), rng.uniform(0.9, 1.1))
        # The item may still rock a little while the weight settles: each frame sits up to a pixel or so apart.
        shift = np.array([[1, 0, rng.uniform(-MAX_SHIFT, MAX_SHIFT)], [0, 1, rng.uniform(-MAX_SHIFT, MAX_SHIFT)]])
        lit.append(np.asarray(cv2.warpAffine(frame, shift, size, borderMode=cv2.BORDER_REPLICATE), np.uint8))
    return MouldedItem(ambient, tuple(lit), polymer, f"{digit}\n{abbreviation}")
