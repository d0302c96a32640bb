"""Render the held-apart test set: plastic markings and care labels as the field shows them, drawn by a program the
reader was never tuned with, in fonts it never saw.

Why a second renderer: the committed evaluation set (``scripts/render_vision_evalset.py``) is what the reader was tuned
on, so its figures say little about a frame from a real station. This script shares no code with it, nor with the
simulated cameras in ``firmware_mocks/``: its own drawing, its own surfaces, its own degradations, and only the fonts of
``scripts.font_split.HELD_OUT_FONTS`` (FreeFont, URW base35, Noto). Nothing may be tuned on what it renders; its
figures are reported, never looked at to change the reader (``python -m bench field``).

What it draws (640x480 BGR JPEG frames, in the layout of ``edge/vision/dataset.py``, each sidecar's truth tagged with
its ``style``, ``key=value`` words that ``parse_style`` reads):

Plastics (stream ``plastic``, label = the polymer)
    Mostly recycling triangles, as sorters meet them most: the resin digit 1-7 in a chasing-arrows triangle drawn as
    three arrows with heads (folded round the corners or straight along the sides), a plain triangle or a triangle
    with rounded corners, with a thick or thin stroke, the abbreviation under it (PET/PETE, HDPE/PE-HD, PVC/V,
    LDPE/PE-LD, PP, PS, OTHER/O/PC) or none (the truth is then the digit's polymer). Moulded into the item in its own
    colour, raised (embossed) or sunk (debossed), and seen only by its relief: a height map shaded under one low light
    from a side (Lambertian shading of the surface normal), low contrast as on real bottles and tubs; or printed in
    ink, a minority. The rest are ISO 11469 codes (``>PP<``, ``>PE-HD<``, ``>PC+ABS<``...), moulded or printed. Some
    carry a distractor line (``MADE IN EU``, a lot number, a date). The item is flat or a cylinder (the marking warps
    with it), seen in perspective, the triangle 40 to 200 px wide, with glare (a specular highlight) and dirt
    (blotches, scratches) on some.
Care labels (stream ``textile``, label = the dominant fibre of the main part)
    Labels of their own layout, printed on satin, woven, or printed and washed pale, some creased: 1-3 fibres, names
    repeated in several languages (``65% polyester/poliéster``) or whole lines repeated per language, a main part and
    a lining, ``exclusive of trims``, washing and origin lines; some labels upside down. The truth composition uses
    the canonical fibre names of ``edge/vision/markings/fibres.py`` and every part adds up to 100.

Styles held out entirely from tuning: rounded-corner triangles and debossed relief (``HELD_OUT_STYLES``) exist only
here; a renderer for tuning or training must never draw them. Every other style is held apart by its fonts and its
code path.

    python scripts/render_field_evalset.py --out DIR [--seed N] [--plastic N] [--textile N]
    sortcentre vision eval DIR
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from edge.vision.dataset import CaptureMeta, CompositionPart, Fibre, MarkingTruth, sample_paths
from scripts.font_split import HELD_OUT_FONTS, font_paths

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 640, 480
DEFAULT_SEED = 1611
PLASTIC_ITEMS = 400
TEXTILE_ITEMS = 200
TRIANGLE_SHARE = 0.68  # of the plastic items; the rest are ISO 11469 codes
HELD_OUT_STYLES = frozenset({"rounded", "debossed"})  # never drawn by anything the reader is tuned or trained on
SIZE_RANGE = (40, 200)  # triangle width in pixels, before perspective

Float = npt.NDArray[np.float32]
Image8 = npt.NDArray[np.uint8]

# --- fonts ----------------------------------------------------------------------------------------------------------

FONTS = font_paths(HELD_OUT_FONTS)
# Care labels are set in plain text faces; the monospaced and ornate ones appear on moulded and printed plastics.
LABEL_FONTS = [p for p in FONTS if not any(k in p.name for k in ("Mono", "Bookman", "C059", "P052"))]


@functools.lru_cache(maxsize=512)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def text_mask(text: str, font: Path, height: float) -> Float:
    """``text`` in white on black (0..1), its capitals ``height`` px tall, tightly cropped with a small margin."""
    probe = _font(font, 100)
    _, top, _, bottom = probe.getbbox("H")
    size = max(6, round(100 * height / max(1, bottom - top)))
    face = _font(font, size)
    left, top, right, bottom = face.getbbox(text)
    pad = 3
    canvas = Image.new("L", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), text, fill=255, font=face)
    return np.asarray(canvas, np.float32) / 255.0


def lines_mask(lines: Sequence[str], font: Path, height: float, spacing: float, align: str) -> Float:
    """Several lines of text, one mask, lines ``spacing`` x ``height`` apart, centred or left-aligned."""
    masks = [text_mask(line, font, height) for line in lines]
    width = max(m.shape[1] for m in masks)
    step = round(height * spacing)
    out = np.zeros((step * (len(masks) - 1) + max(m.shape[0] for m in masks) + 2, width), np.float32)
    for i, m in enumerate(masks):
        x = (width - m.shape[1]) // 2 if align == "centre" else 0
        y = i * step
        region = out[y : y + m.shape[0], x : x + m.shape[1]]
        np.maximum(region, m[: region.shape[0], : region.shape[1]], out=region)
    return out


def paste(canvas: Float, mask: Float, cx: float, cy: float) -> None:
    """``mask`` centred at (cx, cy) on ``canvas``, clipped at its edges, merged by maximum."""
    h, w = mask.shape
    x0, y0 = round(cx - w / 2), round(cy - h / 2)
    cx0, cy0 = max(0, x0), max(0, y0)
    cx1, cy1 = min(canvas.shape[1], x0 + w), min(canvas.shape[0], y0 + h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    region = canvas[cy0:cy1, cx0:cx1]
    np.maximum(region, mask[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0], out=region)


# --- the recycling triangle -----------------------------------------------------------------------------------------

RESIN = {1: "pet", 2: "hdpe", 3: "pvc", 4: "ldpe", 5: "pp", 6: "ps", 7: "other"}
ABBREVIATIONS: dict[int, tuple[tuple[str, str], ...]] = {  # (text under the triangle, the polymer it makes)
    1: (("PET", "pet"), ("PETE", "pet")),
    2: (("HDPE", "hdpe"), ("PE-HD", "hdpe")),
    3: (("PVC", "pvc"), ("V", "pvc")),
    4: (("LDPE", "ldpe"), ("PE-LD", "ldpe")),
    5: (("PP", "pp"),),
    6: (("PS", "ps"),),
    7: (("OTHER", "other"), ("O", "other"), ("PC", "pc")),
}
RELIEFS = ("embossed", "debossed", "embossed", "debossed", "printed")  # ink is the minority
DRAWINGS = ("arrows", "plain", "arrows", "rounded")
STROKES = ("thick", "thin")
ABBREVIATION_PRESENCE = ("present", "present", "missing")
SUPERSAMPLE = 4


def _triangle_path(side: float, radius: float) -> Float:
    """A closed outline of an equilateral triangle (apex up) of width ``side``, corners rounded with ``radius``;
    dense points from the bottom-left corner, clockwise on screen, equal steps along its length."""
    height = side * math.sqrt(3) / 2
    corners = np.array([[0.0, height], [side / 2, 0.0], [side, height]])
    centre = corners.mean(axis=0)
    inradius = height / 3
    radius = min(radius, inradius * 0.8)
    inner = centre + (corners - centre) * (inradius - radius) / inradius
    points: list[Float] = []
    for i in range(3):
        before, here, after = inner[i - 1], inner[i], inner[(i + 1) % 3]
        normals = []
        for a, b in ((before, here), (here, after)):
            edge = b - a
            normal = np.array([edge[1], -edge[0]]) / np.linalg.norm(edge)
            if np.dot(normal, here - centre) < 0:
                normal = -normal
            normals.append(normal)
        a0, a1 = (math.atan2(n[1], n[0]) for n in normals)
        if a1 < a0:
            a1 += 2 * math.pi
        if a1 - a0 > math.pi:
            a0, a1 = a1, a0 + 2 * math.pi
        angles = np.linspace(a0, a1, 12)
        arc = here + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        points.append(arc.astype(np.float32))
    path = np.concatenate([*points, points[0][:1]])
    lengths = np.r_[0, np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))]
    steps = np.linspace(0, lengths[-1], 600)
    return np.stack([np.interp(steps, lengths, path[:, 0]), np.interp(steps, lengths, path[:, 1])], axis=1).astype(
        np.float32
    )


def triangle_mask(side: float, stroke: float, drawing: str, folded: bool) -> tuple[Float, tuple[float, float]]:
    """The triangle's outline (0..1) on a canvas with a margin, and where its middle for the digit is."""
    k = SUPERSAMPLE
    margin = stroke * 2.5 + 2
    radius = side * 0.16 if drawing == "rounded" else 0.0
    path = _triangle_path(side - stroke, radius) + margin + stroke / 2
    height = side * math.sqrt(3) / 2
    size = (round((height + 2 * margin) * k), round((side + 2 * margin) * k))
    canvas = np.zeros(size, np.uint8)
    width = max(1, round(stroke * k))
    if drawing == "plain" or (drawing == "rounded" and not folded):
        cv2.polylines(canvas, [np.round(path * k).astype(np.int32)], True, 255, width, cv2.LINE_8)
    else:
        # Three arrows chase each other round the outline. The path starts at a corner, each side a third of it:
        # an arrow leaves just before a corner (folded round it) or just after it (straight), runs along the side
        # and ends in a head short of the next corner.
        n = len(path) - 1
        start, shaft_end, tip = (-0.045, 0.2, 0.275) if folded else (0.045, 0.2, 0.29)
        for arrow in range(3):
            base = arrow / 3  # the path starts where a corner's arc starts: corners at 0, 1/3, 2/3 of it
            idx = [round((base + t) * n) % n for t in np.linspace(start, shaft_end, 40)]
            shaft = path[idx] * k
            cv2.polylines(canvas, [np.round(shaft).astype(np.int32)], False, 255, width, cv2.LINE_8)
            for cap in (shaft[0], shaft[-1]):
                cv2.circle(canvas, (round(cap[0]), round(cap[1])), width // 2, 255, -1)
            tip_point = path[round((base + tip) * n) % n] * k
            back = path[idx[-1]] * k
            direction = tip_point - back
            direction /= max(1e-6, float(np.linalg.norm(direction)))
            across = np.array([-direction[1], direction[0]])
            half = max(stroke * 1.5, side * 0.06) * k
            head = np.array([tip_point, back + across * half, back - across * half])
            cv2.fillConvexPoly(canvas, np.round(head).astype(np.int32), 255)
    small = cv2.resize(canvas, (size[1] // k, size[0] // k), interpolation=cv2.INTER_AREA)
    middle = (margin + side / 2, margin + height * 0.6)
    return small.astype(np.float32) / 255.0, middle


@dataclass(frozen=True, slots=True)
class Marking:
    mask: Float  # 0..1, the marking's shape at frame scale, upright
    text: str
    polymer: str
    style: dict[str, str]


def triangle_marking(rng: np.random.Generator, index: int) -> Marking:
    digit = int(rng.integers(1, 8))
    relief = RELIEFS[index % len(RELIEFS)]
    # Cycles of coprime lengths (5, 4, 3; the stroke flips every 4), so a few dozen items hold every combination.
    drawing = DRAWINGS[index % len(DRAWINGS)]
    stroke_kind = STROKES[(index // len(DRAWINGS)) % len(STROKES)]
    presence = ABBREVIATION_PRESENCE[index % len(ABBREVIATION_PRESENCE)]
    lo, hi = SIZE_RANGE
    # Sizes spread evenly over the range (a low-discrepancy sequence), so every size band holds items.
    side = lo + (hi - lo) * ((index * 0.6180339887 + float(rng.uniform(0, 0.1))) % 1.0)
    stroke = side * (rng.uniform(0.065, 0.09) if stroke_kind == "thick" else rng.uniform(0.028, 0.045))
    stroke = max(stroke, 1.6)
    folded = bool(rng.random() < 0.7)
    outline, (mx, my) = triangle_mask(side, stroke, drawing, folded)
    digit_font = FONTS[int(rng.integers(len(FONTS)))]
    digit_height = side * math.sqrt(3) / 2 * rng.uniform(0.34, 0.46)
    digit_mask = text_mask(str(digit), digit_font, digit_height)
    polymer = RESIN[digit]
    text = str(digit)
    abbr_mask = np.zeros((0, 0), np.float32)
    if presence == "present":
        options = ABBREVIATIONS[digit]
        abbreviation, polymer = options[int(rng.integers(len(options)))]
        same_font = rng.random() < 0.6
        font = digit_font if same_font else FONTS[int(rng.integers(len(FONTS)))]
        abbr_mask = text_mask(abbreviation, font, side * rng.uniform(0.2, 0.3))
        text += "\n" + abbreviation
    gap = round(side * 0.04) if abbr_mask.size else 0
    height = outline.shape[0] + abbr_mask.shape[0] + gap
    width = max(outline.shape[1], abbr_mask.shape[1])
    canvas = np.zeros((height + 4, width + 4), np.float32)
    ox = (canvas.shape[1] - outline.shape[1]) / 2
    paste(canvas, outline, ox + outline.shape[1] / 2, 2 + outline.shape[0] / 2)
    paste(canvas, digit_mask, ox + mx, 2 + my)
    if abbr_mask.size:
        paste(canvas, abbr_mask, canvas.shape[1] / 2, canvas.shape[0] - 2 - abbr_mask.shape[0] / 2)
    style = {
        "kind": "triangle",
        "relief": relief,
        "drawing": drawing,
        "stroke": stroke_kind,
        "abbreviation": presence,
        "size": str(round(side)),
        "arrows": {"arrows": "folded" if folded else "straight", "rounded": "folded" if folded else "none"}.get(
            drawing, "none"
        ),
        "font": digit_font.stem,
    }
    return Marking(canvas, text, polymer, style)


ISO_CODES = (
    (">PP<", "pp"), (">PE-HD<", "hdpe"), (">PE-LD<", "ldpe"), (">PET<", "pet"), (">PVC<", "pvc"), (">PS<", "ps"),
    (">ABS<", "abs"), (">PC<", "pc"), (">PC+ABS<", "pc-abs"), (">PA6<", "pa"), (">PMMA<", "pmma"),
    (">PP-T20<", "pp"), (">PS-HI<", "ps"), (">PA66-GF30<", "pa"), (">PE-LLD<", "ldpe"),
)  # fmt: skip
DISTRACTORS = (
    "MADE IN EU", "LOT 48213", "EXP 03/2027", "DO NOT LITTER", "MICROWAVE SAFE", "REF 90417", "FOOD CONTACT",
    "MADE IN GERMANY", "BATCH 7731", "08/2026", "KEEP COOL", "DISHWASHER SAFE",
)  # fmt: skip


def iso_marking(rng: np.random.Generator, index: int) -> Marking:
    code, polymer = ISO_CODES[int(rng.integers(len(ISO_CODES)))]
    relief = ("embossed", "printed", "debossed", "printed")[index % 4]
    font = FONTS[int(rng.integers(len(FONTS)))]
    height = float(rng.uniform(16, 38))
    lines = [code]
    if index % 3 == 0:
        lines.append(DISTRACTORS[int(rng.integers(len(DISTRACTORS)))])
        if rng.random() < 0.5:
            lines.reverse()
    mask = lines_mask(lines, font, height, rng.uniform(1.6, 2.2), "centre")
    style = {"kind": "iso", "relief": relief, "distractor": "yes" if len(lines) > 1 else "no", "font": font.stem}
    return Marking(mask, "\n".join(lines), polymer, style)


# --- surfaces, relief and light -------------------------------------------------------------------------------------

PLASTIC_COLOURS = (  # BGR: white, natural, black, grey, blue, green, red, yellow, cream, dark blue, orange, clear-ish
    (236, 238, 240), (214, 222, 220), (38, 36, 34), (128, 128, 124), (180, 110, 40), (70, 150, 60), (50, 50, 190),
    (60, 200, 225), (200, 225, 235), (110, 60, 30), (40, 120, 230), (205, 210, 200),
)  # fmt: skip


@functools.cache
def _noise_bank() -> Float:
    return np.random.default_rng(0).standard_normal((1024, 1024), dtype=np.float32)


def gauss(rng: np.random.Generator, shape: tuple[int, ...]) -> Float:
    """Standard normal noise: windows at random places of one fixed field drawn once (a frame needs a million draws,
    which cost more than all the drawing), per colour channel when ``shape`` has three axes."""
    bank = _noise_bank()
    h, w = shape[0], shape[1]
    planes = []
    for _ in range(shape[2] if len(shape) == 3 else 1):
        y, x = int(rng.integers(0, bank.shape[0] - h + 1)), int(rng.integers(0, bank.shape[1] - w + 1))
        planes.append(bank[y : y + h, x : x + w])
    return np.stack(planes, axis=2) if len(shape) == 3 else planes[0].copy()


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> Float:
    """Low-frequency noise in -1..1: a coarse random grid blown up smoothly."""
    grid = rng.uniform(-1, 1, (max(2, shape[0] * cells // shape[1]), cells)).astype(np.float32)
    return np.asarray(cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC), np.float32)


def plastic_surface(rng: np.random.Generator, colour: tuple[int, int, int]) -> Float:
    shape = (HEIGHT, WIDTH)
    base = np.empty((*shape, 3), np.float32)
    base[:] = colour
    tone = 6 * smooth_noise(rng, shape, 6) + 2.5 * gauss(rng, shape)
    return base + tone[..., None]


def place(mask: Float, angle: float, cx: float, cy: float) -> Float:
    """The marking turned by ``angle`` degrees and centred at (cx, cy) on a frame-sized canvas."""
    h, w = mask.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[:, 2] += (cx - w / 2, cy - h / 2)
    return np.asarray(cv2.warpAffine(mask, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR), np.float32)


def relief_shading(mask: Float, rng: np.random.Generator, raised: bool, stroke: float) -> Float:
    """How much light a moulded marking sends back, 1.0 on the flat surface: the marking is a height map (raised or
    sunk, its edges sloped), shaded by Lambert's law under one light from a side, low over the surface."""
    depth = float(rng.uniform(0.9, 1.6)) * (1 if raised else -1)
    sigma = max(0.7, stroke * rng.uniform(0.18, 0.3))
    height = cv2.GaussianBlur(mask, (0, 0), sigma) * depth
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3) / 8
    azimuth = math.radians(float(rng.choice([0, 90, 180, 270])) + float(rng.uniform(-30, 30)))
    elevation = math.radians(float(rng.uniform(28, 50)))
    lx, ly = math.cos(azimuth) * math.cos(elevation), math.sin(azimuth) * math.cos(elevation)
    lz = math.sin(elevation)
    lambert = (-gx * lx - gy * ly + lz) / np.sqrt(gx * gx + gy * gy + 1)
    shade = np.clip(lambert, 0, 1) / lz
    # A sunk marking lies a little in its own shadow; a raised one is polished by the mould a little.
    face = (-0.05 if not raised else 0.03) * cv2.GaussianBlur(mask, (0, 0), 0.6)
    return np.asarray(shade + face, np.float32)


def apply_marking(
    surface: Float, mask: Float, relief: str, rng: np.random.Generator, stroke: float, colour: tuple[int, int, int]
) -> Float:
    if relief == "printed":
        light = sum(colour) / 3 > 110
        ink = (np.array([30, 28, 26]) if light else np.array([232, 232, 228])) + rng.normal(0, 8, 3)
        alpha = float(rng.uniform(0.75, 0.95)) * mask[..., None]
        return surface * (1 - alpha) + ink.astype(np.float32) * alpha
    shade = relief_shading(mask, rng, relief == "embossed", stroke)
    contrast = float(rng.uniform(0.55, 1.0))
    factor = 1 + contrast * (shade - 1)
    # Dark plastic still shows relief by the sheen of its slopes; added light keeps it visible there.
    return np.asarray(surface * factor[..., None] + (28 * contrast * (shade - 1))[..., None], np.float32)


def add_dirt(image: Float, rng: np.random.Generator) -> None:
    shape = image.shape[:2]
    blotches = np.clip(smooth_noise(rng, shape, int(rng.integers(8, 20))) * 2.5 - rng.uniform(1.3, 1.8), 0, 1)
    colour = np.array([50, 70, 90], np.float32) + rng.uniform(-20, 20, 3).astype(np.float32)
    alpha = (blotches * rng.uniform(0.15, 0.35))[..., None]
    image *= 1 - alpha
    image += colour * alpha
    scratches = np.zeros(shape, np.float32)  # + lighter, - darker
    for _ in range(int(rng.integers(3, 12))):  # scratches: thin, mostly lighter
        x0, y0 = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
        length, angle = rng.uniform(30, 200), rng.uniform(0, math.pi)
        bend = rng.uniform(-0.3, 0.3)
        ts = np.linspace(0, 1, 12)
        xs = x0 + length * ts * math.cos(angle) + bend * length * ts * ts * math.sin(angle)
        ys = y0 + length * ts * math.sin(angle) - bend * length * ts * ts * math.cos(angle)
        sign = 1 if rng.random() < 0.75 else -1
        value = sign * float(rng.uniform(25, 60))
        cv2.polylines(scratches, [np.stack([xs, ys], 1).round().astype(np.int32)], False, value, 1, cv2.LINE_AA)
    image += scratches[..., None]


def plate_background(rng: np.random.Generator) -> Float:
    """The scale's brushed steel plate, where the item does not cover it."""
    grey = float(rng.uniform(95, 160))
    streaks = 10 * gauss(rng, (HEIGHT, WIDTH))
    streaks = np.asarray(cv2.blur(streaks, (41, 1)), np.float32) * 3
    plate = grey + streaks + 10 * smooth_noise(rng, (HEIGHT, WIDTH), 4)
    return np.repeat(plate[..., None], 3, axis=2) * np.array([1.0, 1.0, 0.97], np.float32)


def perspective(image: Float, rng: np.random.Generator, amount: float) -> Float:
    src = np.array([[0, 0], [WIDTH, 0], [WIDTH, HEIGHT], [0, HEIGHT]], np.float32)
    jitter = rng.uniform(-amount, amount, (4, 2)).astype(np.float32) * np.array([WIDTH, HEIGHT], np.float32)
    matrix = cv2.getPerspectiveTransform(src, src + jitter)
    return np.asarray(
        cv2.warpPerspective(image, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT),
        np.float32,
    )


def cylinder(
    image: Float, background: Float, rng: np.random.Generator, centre: tuple[float, float], glare: bool
) -> tuple[Float, str]:
    """The surface wrapped round a cylinder (axis upright or lying) seen from the front: the middle as drawn, the sides
    squeezed, shaded by the side light, outside it the plate."""
    upright = bool(rng.random() < 0.6)
    img, bg = (image, background) if upright else (image.transpose(1, 0, 2), background.transpose(1, 0, 2))
    rows, cols = img.shape[:2]
    c = (centre[0] if upright else centre[1]) + float(rng.uniform(-40, 40))
    radius = float(rng.uniform(0.45, 1.2)) * cols
    d = np.arange(cols, dtype=np.float32) - c
    inside = np.abs(d) < radius * 0.985
    phi = np.arcsin(np.clip(d / radius, -0.985, 0.985))
    u = c + radius * phi
    map_x = np.broadcast_to(u[None, :], (rows, cols)).astype(np.float32)
    map_y = np.broadcast_to(np.arange(rows, dtype=np.float32)[:, None], (rows, cols)).astype(np.float32)
    wrapped = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    light = float(rng.uniform(-0.9, 0.9))
    shade = 0.8 + 0.25 * np.cos(phi - light)
    wrapped = wrapped * shade[None, :, None]
    if glare:
        at, width = light * 0.5 + float(rng.uniform(-0.3, 0.3)), float(rng.uniform(0.04, 0.14))
        band = np.exp(-(((phi - at) / width) ** 2)) * float(rng.uniform(0.35, 0.85))
        band = band[None, :] * (0.6 + 0.4 * np.abs(smooth_noise(rng, (rows, cols), 3)))
        wrapped += (255 - wrapped) * band[..., None]
    out = np.where(inside[None, :, None], wrapped, bg)
    out = out if upright else out.transpose(1, 0, 2)
    return np.ascontiguousarray(out, np.float32), "upright" if upright else "lying"


def flat_glare(image: Float, rng: np.random.Generator) -> None:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    cx, cy = rng.uniform(80, WIDTH - 80), rng.uniform(60, HEIGHT - 60)
    a, b = rng.uniform(30, 140), rng.uniform(15, 60)
    turn = rng.uniform(0, math.pi)
    u = (xx - cx) * math.cos(turn) + (yy - cy) * math.sin(turn)
    v = -(xx - cx) * math.sin(turn) + (yy - cy) * math.cos(turn)
    spot = np.exp(-((u / a) ** 2 + (v / b) ** 2)) * rng.uniform(0.4, 0.9)
    image += (255 - image) * spot[..., None]


def camera(image: Float, rng: np.random.Generator) -> Image8:
    sigma = float(rng.uniform(0.3, 1.1))
    image = np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), np.float32)
    image = image + float(rng.uniform(1.5, 5)) * gauss(rng, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def plastic_frame(rng: np.random.Generator, marking: Marking) -> tuple[Image8, dict[str, str]]:
    colour_bgr = PLASTIC_COLOURS[int(rng.integers(len(PLASTIC_COLOURS)))]
    colour = (int(colour_bgr[0]), int(colour_bgr[1]), int(colour_bgr[2]))
    surface = plastic_surface(rng, colour)
    mh = marking.mask.shape[0]
    cx = float(rng.uniform(WIDTH / 2 - 120, WIDTH / 2 + 120))
    cy = float(rng.uniform(max(mh / 2 + 30, HEIGHT / 2 - 90), min(HEIGHT - mh / 2 - 30, HEIGHT / 2 + 90)))
    angle = float(rng.uniform(-30, 30))
    placed = place(marking.mask, angle, cx, cy)
    size = float(marking.style.get("size", "60"))
    stroke = size * (0.09 if marking.style.get("stroke") == "thick" else 0.04)
    stroke = stroke if marking.style["kind"] == "triangle" else 2.0
    surface = apply_marking(surface, placed, marking.style["relief"], rng, stroke, colour)
    dirty = bool(rng.random() < 0.4)
    if dirty:
        add_dirt(surface, rng)
    glare = bool(rng.random() < 0.4)
    surface = perspective(surface, rng, float(rng.uniform(0.0, 0.07)))
    shape = "flat"
    if rng.random() < 0.6:
        surface, shape = cylinder(surface, plate_background(rng), rng, (cx, cy), glare)
        shape = f"cylinder-{shape}"
    elif glare:
        flat_glare(surface, rng)
    style = {**marking.style, "surface": shape, "glare": "yes" if glare else "no", "dirt": "yes" if dirty else "no"}
    return camera(surface, rng), style


# --- care labels ----------------------------------------------------------------------------------------------------

LANGUAGES = ("en", "nl", "de", "fr", "es", "it")
FIBRES: dict[str, tuple[str, str, str, str, str, str]] = {  # en, nl, de, fr, es, it: what labels print
    "cotton": ("cotton", "katoen", "Baumwolle", "coton", "algodón", "cotone"),
    "polyester": ("polyester", "polyester", "Polyester", "polyester", "poliéster", "poliestere"),
    "elastane": ("elastane", "elastaan", "Elasthan", "élasthanne", "elastano", "elastan"),
    "viscose": ("viscose", "viscose", "Viskose", "viscose", "viscosa", "viscosa"),
    "polyamide": ("polyamide", "polyamide", "Polyamid", "polyamide", "poliamida", "poliammide"),
    "wool": ("wool", "wol", "Wolle", "laine", "lana", "lana"),
    "acrylic": ("acrylic", "acryl", "Polyacryl", "acrylique", "acrílico", "acrilico"),
    "linen": ("linen", "linnen", "Leinen", "lin", "lino", "lino"),
    "silk": ("silk", "zijde", "Seide", "soie", "seda", "seta"),
    "modal": ("modal",) * 6,
    "lyocell": ("lyocell",) * 6,
    "cashmere": ("cashmere", "kasjmier", "Kaschmir", "cachemire", "cachemir", "cashmere"),
}
MAIN_FIBRES = ("cotton",) * 5 + ("polyester",) * 4 + ("viscose", "wool", "polyamide", "acrylic", "linen", "modal")
MINOR_FIBRES = ("elastane",) * 4 + ("polyester", "polyamide", "cotton", "viscose", "cashmere", "silk", "lyocell")
LINING_FIBRES = ("polyester", "polyester", "viscose", "cotton", "polyamide")
SPLITS = {
    2: ((95, 5), (98, 2), (97, 3), (80, 20), (65, 35), (60, 40), (70, 30), (52, 48), (90, 10), (55, 45)),
    3: ((60, 35, 5), (50, 45, 5), (70, 25, 5), (80, 17, 3), (62, 33, 5), (72, 25, 3)),
}
ELASTANE_SPLITS = ((95, 5), (98, 2), (97, 3), (92, 8), (96, 4))
HEADERS = {  # part -> per language
    "main": ("Shell", "Bovenstof", "Obermaterial", "Tissu principal", "Tejido principal", "Tessuto principale"),
    "lining": ("Lining", "Voering", "Futter", "Doublure", "Forro", "Fodera"),
}
EXCLUSIONS = ("exclusive of trims", "exclusive of decoration", "exclusive of elastic", "excl. trims")
CARE_LINES = (
    "Machine wash 30°C", "Do not tumble dry", "Wash inside out", "Do not bleach", "Iron on low heat",
    "Wash with similar colours", "Niet in de droger", "Nicht bleichen", "Lavage à 30°", "No usar lejía",
    "Dry flat", "Cool iron", "Wash separately", "Do not dry clean", "Lavare a 30°",
)  # fmt: skip
ORIGIN_LINES = ("Made in Portugal", "Made in Bangladesh", "Fabriqué au Maroc", "Made in Turkey", "RN 94172", "CA 38291")
LABEL_COLOURS = (  # satin BGR, ink BGR
    ((240, 242, 244), (40, 38, 36)), ((222, 236, 244), (50, 45, 40)), ((30, 28, 28), (225, 225, 222)),
    ((150, 150, 148), (20, 20, 20)), ((90, 40, 25), (230, 230, 230)), ((205, 215, 220), (60, 40, 30)),
)  # fmt: skip


def composition(rng: np.random.Generator, fibre_count: int, pool: Sequence[str]) -> tuple[Fibre, ...]:
    first = pool[int(rng.integers(len(pool)))]
    if fibre_count == 1:
        return (Fibre(fibre=first, percent=100),)
    names = [first]
    while len(names) < fibre_count:
        name = MINOR_FIBRES[int(rng.integers(len(MINOR_FIBRES)))] if len(names) == fibre_count - 1 else None
        name = name or MAIN_FIBRES[int(rng.integers(len(MAIN_FIBRES)))]
        if name not in names:
            names.append(name)
    # Elastane is a few percent of a fabric, never a third of it.
    splits = ELASTANE_SPLITS if fibre_count == 2 and names[-1] == "elastane" else SPLITS[fibre_count]
    split = splits[int(rng.integers(len(splits)))]
    return tuple(Fibre(fibre=n, percent=p) for n, p in zip(names, split, strict=True))


def fibre_name(fibre: str, language: str, rng: np.random.Generator) -> str:
    name = FIBRES[fibre][LANGUAGES.index(language)]
    if language == "en" and rng.random() < 0.15:
        name = {"polyester": "recycled polyester", "cotton": "organic cotton", "wool": "merino wool"}.get(fibre, name)
    return name


def composition_lines(
    fibres: Sequence[Fibre], languages: Sequence[str], form: str, rng: np.random.Generator
) -> list[str]:
    """One part's composition as a label prints it."""
    sep = ("/", " / ", " - ")[int(rng.integers(3))]
    if form == "names-joined":  # 65% polyester/poliéster/Polyester
        out = []
        for f in fibres:
            names: list[str] = []
            for lang in languages:
                name = fibre_name(f.fibre, lang, rng)
                if name not in names:
                    names.append(name)
            out.append(f"{f.percent}% " + sep.join(names))
        return out
    if form == "per-language":  # NL 100% katoen / EN 100% cotton, one line per language
        return [
            f"{lang.upper()} " + " ".join(f"{f.percent}% {fibre_name(f.fibre, lang, rng)}" for f in fibres)
            for lang in languages
        ]
    if form == "name-first":  # cotone 95% elastan 5%
        lang = languages[0]
        return [" ".join(f"{fibre_name(f.fibre, lang, rng)} {f.percent}%" for f in fibres)]
    lang = languages[0]
    return [f"{f.percent}% {fibre_name(f.fibre, lang, rng)}" for f in fibres]


def care_label(rng: np.random.Generator, index: int) -> tuple[list[str], tuple[CompositionPart, ...], dict[str, str]]:
    fibre_count = (1, 2, 1, 2, 3)[index % 5]
    form = ("plain", "names-joined", "per-language", "names-joined", "plain", "name-first")[index % 6]
    language_count = 1 if form in ("plain", "name-first") else int(rng.integers(2, 5))
    first = "en" if rng.random() < 0.5 else LANGUAGES[int(rng.integers(len(LANGUAGES)))]
    languages = [first, *(x for x in rng.permutation(LANGUAGES) if x != first)][:language_count]
    main = composition(rng, fibre_count, MAIN_FIBRES)
    parts = [CompositionPart(part="main", fibres=main)]
    lined = index % 4 == 1
    lines: list[str] = []
    if rng.random() < 0.3:
        lines.append(ORIGIN_LINES[int(rng.integers(len(ORIGIN_LINES)))])
    if lined:
        lining = composition(rng, 1 if rng.random() < 0.7 else 2, LINING_FIBRES)
        parts.append(CompositionPart(part="lining", fibres=lining))
        for part, fibres in (("main", main), ("lining", lining)):
            header = "/".join(HEADERS[part][LANGUAGES.index(lang)] for lang in languages[:2]) + ":"
            lines.append(header)
            lines += composition_lines(fibres, languages, "plain" if form == "per-language" else form, rng)
    else:
        lines += composition_lines(main, languages, form, rng)
    if index % 7 == 3:
        lines.append(EXCLUSIONS[int(rng.integers(len(EXCLUSIONS)))])
    for _ in range(int(rng.integers(1, 4))):
        line = CARE_LINES[int(rng.integers(len(CARE_LINES)))]
        if line not in lines:
            lines.append(line)
    if rng.random() < 0.3:
        lines.append(ORIGIN_LINES[int(rng.integers(len(ORIGIN_LINES)))])
    style = {
        "kind": "care",
        "form": form,
        "languages": str(language_count),
        "parts": str(len(parts)),
        "fibres": str(fibre_count),
        "exclusion": "yes" if index % 7 == 3 else "no",
    }
    return lines, tuple(parts), style


def satin(rng: np.random.Generator, shape: tuple[int, int], colour: tuple[int, int, int]) -> Float:
    """Satin: a fine weave running one way and a soft sheen across it."""
    h, w = shape
    weave = gauss(rng, (h, w))
    weave = cv2.blur(weave, (1, 9)) * 6 + 2.0 * np.sin(np.arange(h, dtype=np.float32) * 2.1)[:, None]
    sheen = 18 * np.cos(np.linspace(0, rng.uniform(2, 5), w, dtype=np.float32) + rng.uniform(0, 6))[None, :]
    return np.asarray(np.array(colour, np.float32)[None, None, :] + (weave + sheen)[..., None], np.float32)


def fabric_background(rng: np.random.Generator) -> Float:
    colour = rng.uniform(30, 220, 3).astype(np.float32)
    knit = (
        np.sin(np.arange(WIDTH, dtype=np.float32) * rng.uniform(0.8, 1.6))[None, :]
        * np.sin(np.arange(HEIGHT, dtype=np.float32) * rng.uniform(0.5, 1.2))[:, None]
    )
    noise = cv2.GaussianBlur(gauss(rng, (HEIGHT, WIDTH)), (0, 0), 1.5)
    return np.asarray(colour[None, None, :] + ((knit * 10 + noise * 12)[..., None]), np.float32)


LABEL_MATERIALS = ("satin", "woven", "satin", "faded")


def crease(rng: np.random.Generator, shape: tuple[int, int]) -> Float:
    """Light on a fold pressed into the label: a dark line, a lighter slope beside it."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    turn = float(rng.uniform(-0.6, 0.6)) + (math.pi / 2 if rng.random() < 0.4 else 0.0)
    d = (yy - rng.uniform(0.2, 0.8) * h) * math.cos(turn) - (xx - rng.uniform(0.2, 0.8) * w) * math.sin(turn)
    width = float(rng.uniform(1.0, 2.5))
    return np.asarray(
        1 - 0.2 * np.exp(-((d / width) ** 2)) + 0.1 * np.exp(-(((d - 3 * width) / (3 * width)) ** 2)), np.float32
    )


def lettering(rng: np.random.Generator, text: Float, material: str) -> Float:
    """How much ink covers each pixel of the label (0..1), as its material holds the letters."""
    lh, lw = text.shape
    strength = float(rng.uniform(0.8, 0.95))
    if material == "woven":
        # Woven letters: the threads square the glyphs off at the weave's pitch, and the thread has its own sheen.
        pitch = float(rng.uniform(1.3, 1.8))
        small = cv2.resize(text, (round(lw / pitch), round(lh / pitch)), interpolation=cv2.INTER_AREA)
        small = (small > rng.uniform(0.35, 0.5)).astype(np.float32)
        text = np.asarray(cv2.resize(small, (lw, lh), interpolation=cv2.INTER_NEAREST), np.float32)
        text *= np.asarray(0.85 + 0.15 * np.sin(np.arange(lw, dtype=np.float32) * 2.4)[None, :], np.float32)
    elif material == "faded":  # printed tape washed many times: the ink pale and soft
        text = np.asarray(cv2.GaussianBlur(text, (0, 0), float(rng.uniform(0.4, 0.8))), np.float32)
        strength = float(rng.uniform(0.4, 0.6))
    return text * strength


def label_frame(rng: np.random.Generator, lines: Sequence[str], index: int) -> tuple[Image8, dict[str, str]]:
    # Shifted by one every four labels, so the material does not follow the lining (which comes every fourth label).
    material = LABEL_MATERIALS[(index + index // 4) % len(LABEL_MATERIALS)]
    font = LABEL_FONTS[int(rng.integers(len(LABEL_FONTS)))]
    upper = bool(rng.random() < 0.25)
    shown = [line.upper() for line in lines] if upper else list(lines)
    text_height = float(rng.uniform(10, 15))
    align = "centre" if rng.random() < 0.6 else "left"
    mask = lines_mask(shown, font, text_height, rng.uniform(1.7, 2.1), align)
    while mask.shape[1] > WIDTH - 120 or mask.shape[0] > HEIGHT - 70:
        text_height *= 0.9
        mask = lines_mask(shown, font, text_height, rng.uniform(1.7, 2.1), align)
    margin_x, margin_y = int(rng.integers(16, 36)), int(rng.integers(18, 34))
    lh, lw = mask.shape[0] + 2 * margin_y, mask.shape[1] + 2 * margin_x
    satin_colour, ink_colour = LABEL_COLOURS[int(rng.integers(len(LABEL_COLOURS)))]
    label = satin(rng, (lh, lw), satin_colour)
    text = np.zeros((lh, lw), np.float32)
    text[margin_y : margin_y + mask.shape[0], margin_x : margin_x + mask.shape[1]] = mask
    alpha = lettering(rng, text, material)[..., None]
    label = np.asarray(label * (1 - alpha) + np.array(ink_colour, np.float32) * alpha, np.float32)
    creased = bool(rng.random() < 0.35)
    if creased:
        for _ in range(int(rng.integers(1, 3))):
            label *= crease(rng, (lh, lw))[..., None]
    # stitched edge at the top, where the label is sewn in
    stitches = np.zeros((lh, lw), np.float32)
    for x in range(4, lw - 4, 9):
        cv2.line(stitches, (x, 7), (x + 5, 7), 1.0, 1, cv2.LINE_AA)
    label = label * (1 - 0.4 * stitches[..., None]) + 0.4 * stitches[..., None] * label.mean()

    frame = fabric_background(rng)
    upside_down = bool(rng.random() < 0.2)
    angle = float(rng.uniform(-8, 8)) + (180 if upside_down else 0)
    cx, cy = WIDTH / 2 + rng.uniform(-30, 30), HEIGHT / 2 + rng.uniform(-20, 20)
    matrix = cv2.getRotationMatrix2D((lw / 2, lh / 2), angle, 1.0)
    matrix[:, 2] += (cx - lw / 2, cy - lh / 2)
    placed = cv2.warpAffine(label, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    cover = cv2.warpAffine(np.ones((lh, lw), np.float32), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    frame = frame * (1 - cover[..., None]) + placed * cover[..., None]
    # the label lies on a folded garment: a gentle wave through it, then the camera's slant
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    wave = float(rng.uniform(0, 4))
    map_y = yy + wave * np.sin(xx / rng.uniform(60, 140) + rng.uniform(0, 6))
    frame = np.asarray(
        cv2.remap(frame, xx, map_y.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), np.float32
    )
    frame = perspective(frame, rng, float(rng.uniform(0, 0.05)))
    glare = bool(rng.random() < 0.25)
    if glare:
        flat_glare(frame, rng)
    style = {
        "material": material,
        "crease": "yes" if creased else "no",
        "upside_down": "yes" if upside_down else "no",
        "font": font.stem,
        "glare": "yes" if glare else "no",
    }
    return camera(frame, rng), style


# --- writing the set ------------------------------------------------------------------------------------------------


def format_style(style: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in style.items())


def parse_style(text: str | None) -> dict[str, str]:
    """The ``key=value`` words of a sidecar's ``truth.style``."""
    return dict(word.split("=", 1) for word in (text or "").split() if "=" in word)


def _write(
    out: Path, stream: str, label: str, capture_id: str, frame: Image8, truth: MarkingTruth, quality: int
) -> None:
    image, meta = sample_paths(out, stream, label, capture_id)
    image.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(image), frame, [cv2.IMWRITE_JPEG_QUALITY, quality]):
        msg = f"could not write {image}"
        raise OSError(msg)
    sidecar = CaptureMeta(capture_id=capture_id, stream=stream, label=label, truth=truth)
    meta.write_text(sidecar.model_dump_json(indent=1, exclude_none=True) + "\n")


def render(out: Path, seed: int = DEFAULT_SEED, plastic: int = PLASTIC_ITEMS, textile: int = TEXTILE_ITEMS) -> int:
    """Render the set into ``out`` (emptied first); the number of frames written. Each item draws from its own random
    stream, (seed, item), so a set is the same on every machine and a smaller set is the start of a larger one."""
    if out.exists():
        shutil.rmtree(out)
    written = 0
    counts = {"triangle": 0, "iso": 0}
    for i in range(plastic):
        rng = np.random.default_rng([seed, 0, i])
        # Triangles and ISO codes interleaved evenly, each kind cycling through its styles by its own count.
        kind = "triangle" if (i * TRIANGLE_SHARE) % 1.0 < TRIANGLE_SHARE else "iso"
        nth = counts[kind]
        counts[kind] += 1
        marking = triangle_marking(rng, nth) if kind == "triangle" else iso_marking(rng, nth)
        frame, style = plastic_frame(rng, marking)
        truth = MarkingTruth(text=marking.text, polymer=marking.polymer, style=format_style(style))
        _write(out, "plastic", marking.polymer, f"fld-p{i:04d}", frame, truth, int(rng.integers(72, 94)))
        written += 1
    for i in range(textile):
        rng = np.random.default_rng([seed, 1, i])
        lines, parts, style = care_label(rng, i)
        frame, look = label_frame(rng, lines, i)
        main = next(p for p in parts if p.part == "main")
        label = max(main.fibres, key=lambda f: (f.percent, f.fibre)).fibre
        truth = MarkingTruth(text="\n".join(lines), composition=parts, style=format_style({**style, **look}))
        _write(out, "textile", label, f"fld-t{i:04d}", frame, truth, int(rng.integers(72, 94)))
        written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the folder to write (emptied first)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--plastic", type=int, default=PLASTIC_ITEMS, help="plastic items (triangles and ISO codes)")
    parser.add_argument("--textile", type=int, default=TEXTILE_ITEMS, help="care labels")
    parser.add_argument("--items", type=int, help="total items, two plastic to one care label (overrides the above)")
    args = parser.parse_args()
    plastic, textile = args.plastic, args.textile
    if args.items is not None:
        plastic = round(args.items * 2 / 3)
        textile = args.items - plastic
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.info("%d frames written to %s", render(args.out, args.seed, plastic, textile), args.out)


if __name__ == "__main__":
    main()
