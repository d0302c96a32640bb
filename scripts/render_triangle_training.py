"""Render recycling triangles, and ISO 11469 codes moulded into plastic, to TUNE and TRAIN the marking reader on (never
to report field figures with).

This is the triangle reader's own renderer, written apart from ``scripts/render_vision_evalset.py`` (the committed set)
and from the held-apart test set's renderer (which it never imports). It draws with the tuning fonts only
(``scripts.font_split.TUNING_FONTS``: DejaVu and Liberation), and only the styles the reader may be tuned on:

* the chasing-arrows triangle (three arrows with heads, gap and head size varied) or a plain triangle, sharp corners
  (rounded corners are a held-out style and are never drawn here), thin strokes (1/34-1/16 of the side) or thick
  ones (1/12-1/7, where the digit sits in a small interior);
* the digit 1-7 inside, in regular or emboldened strokes; the abbreviation under the base (PET/PETE, HDPE/PE-HD,
  PVC/V, LDPE/PE-LD, PP, PS, OTHER/O) or, in about 40 % of frames, none; with ``sevens`` (``--sevens``), half the
  7s over the code of one polymer of category 7 instead (PC, ABS, PA, PMMA), which names the item;
* raised relief in the item's own colour, shaded by one low side light from any direction, from faint (a few grey
  levels) to strong, over some diffuse light (a sunk, debossed marking is a held-out style and is never drawn here),
  or printed in ink, down to a pale print;
* with ``matte`` (``--matte``), on a grained, matte surface (a textured mould, a sand-blasted tub) whose coarse grain
  has edges in every direction, as strong as a faint relief's;
* triangle sides 40-200 px in a 640x480 frame, any turn, perspective, a curved surface, blur, noise, glare, dirt
  (specks and smudges), JPEG; a printed or raised distractor line (a lot number, a date) beside the triangle in some
  frames.

With ``--codes`` (``render_code_frame``), an ISO 11469 code (``>PE-HD<``, ``ISO_CODES``) takes the triangle's place,
in the same looks: raised in three frames of four, 16-64 px, in the tuning fonts.

``render_frame`` returns the frame, its truth and the triangle's geometry; ``scripts/train_triangle_reader.py`` cuts
its training crops from such frames through the reader's own ``upright_views``, so it learns on what the reader sees.
``python scripts/render_triangle_training.py --out DIR --count N --seed S`` writes frames in the evaluation layout
(``DIR/plastic/<polymer>/<id>.jpg`` + sidecar) for ``python -m sortcentre vision eval DIR``.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from edge.vision.dataset import CaptureMeta, MarkingTruth, sample_paths
from scripts.font_split import TUNING_FONTS, font_paths

WIDTH, HEIGHT = 640, 480
DEFAULT_SEED = 16016
# Resin digit -> the abbreviations written under the triangle, and the polymer it names.
RESIN: dict[int, tuple[tuple[str, ...], str]] = {
    1: (("PET", "PETE"), "pet"),
    2: (("HDPE", "PE-HD"), "hdpe"),
    3: (("PVC", "V"), "pvc"),
    4: (("LDPE", "PE-LD"), "ldpe"),
    5: (("PP",), "pp"),
    6: (("PS",), "ps"),
    7: (("OTHER", "O"), "other"),
}
# Code 7 is a category: with ``sevens``, half the 7s carry the code of one polymer of it instead, which names the item
# (a PC water jug marked 7 over PC). Drawn nowhere by default, so the frames of a seed stay those drawn before.
SEVEN_POLYMERS: tuple[tuple[str, str], ...] = (("PC", "pc"), ("ABS", "abs"), ("PA", "pa"), ("PMMA", "pmma"))
DISTRACTORS = ("LOT 2319", "05/27", "MADE IN EU", "250 ml", "L 4471", "2026", "EXP 11/26", "15")
COLOURS = ((235, 235, 232), (40, 40, 40), (200, 60, 40), (40, 120, 200), (60, 160, 80), (230, 200, 60), (180, 180, 185))
_FONTS = [str(p) for p in font_paths(TUNING_FONTS)]


@dataclass(frozen=True, slots=True)
class TriangleFrame:
    frame: np.ndarray  # BGR uint8, 640x480
    digit: int  # 1..7
    abbreviation: str | None
    polymer: str
    centre: tuple[float, float]  # the triangle's centroid in the frame
    side: float  # px, in the frame
    up: float  # direction (degrees, image coordinates: 0 = right, -90 = up) from the centroid to the apex
    box: np.ndarray  # 4 corners round the triangle (what a detector would box)
    digit_box: np.ndarray  # 4 corners round the digit alone
    style: str
    distractor_box: np.ndarray | None = None  # 4 corners round the distractor line, where there is one


def _font(rng: random.Random, size: int, mono_ok: bool = True) -> ImageFont.FreeTypeFont:
    choices = [f for f in _FONTS if mono_ok or "Mono" not in f]
    return ImageFont.truetype(rng.choice(choices), max(6, size))


def _arrows(
    draw: ImageDraw.ImageDraw, corners: list[tuple[float, float]], side: float, width: int, rng: random.Random
) -> None:
    gap = rng.uniform(0.08, 0.2)
    head = side * rng.uniform(0.1, 0.17)
    spread = rng.uniform(0.5, 0.8)
    for i in range(3):
        (x0, y0), (x1, y1) = corners[i], corners[(i + 1) % 3]
        sx, sy = x0 + (x1 - x0) * gap, y0 + (y1 - y0) * gap
        ex, ey = x0 + (x1 - x0) * (1 - gap), y0 + (y1 - y0) * (1 - gap)
        dx, dy = ex - sx, ey - sy
        norm = math.hypot(dx, dy)
        dx, dy = dx / norm, dy / norm
        draw.line([(sx, sy), (ex - dx * head * 0.3, ey - dy * head * 0.3)], fill=255, width=width)
        tip = (ex + dx * head * 0.7, ey + dy * head * 0.7)
        base = (ex - dx * head * 0.3, ey - dy * head * 0.3)
        left = (base[0] - dy * head * spread, base[1] + dx * head * spread)
        right = (base[0] + dy * head * spread, base[1] - dx * head * spread)
        draw.polygon([tip, left, right], fill=255)


# OpenCV's own stroke fonts (Hershey's, drawn by cv2.putText): digit shapes of another family than the TrueType
# tuning fonts, some of them italic or script. Neither set of fonts in scripts.font_split holds them.
HERSHEY_FACES = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
)


def _tight(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask > 40)
    if len(xs) == 0:
        return mask
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def varied_digit(rng: random.Random, digit: int, height: int) -> np.ndarray:
    """The digit as a tight white-on-black mask about ``height`` px tall, in a shape the tuning fonts alone do not
    give: a Hershey stroke font (upright or italic, thin to heavy), or a tuning font slanted, condensed or widened,
    its strokes thinned or thickened. What a mould maker's own lettering looks like, drawn by code of this script."""
    big = 160
    if rng.random() < 0.5:
        face = rng.choice(HERSHEY_FACES) | (cv2.FONT_ITALIC if rng.random() < 0.35 else 0)
        scale = cv2.getFontScaleFromHeight(face, big)
        canvas = np.zeros((3 * big, 3 * big), np.uint8)
        weight = max(2, round(big * rng.uniform(0.05, 0.2)))
        cv2.putText(canvas, str(digit), (big // 2, 2 * big), face, scale, 255, weight, cv2.LINE_AA)
        glyph = _tight(canvas)
    else:
        font = ImageFont.truetype(rng.choice(_FONTS), big)
        left, top, right, bottom = font.getbbox(str(digit))
        image = Image.new("L", (right - left + 2 * big, bottom - top + 2 * big), 0)
        ImageDraw.Draw(image).text((big - left, big - top), str(digit), font=font, fill=255)
        glyph = _tight(np.asarray(image))
    h, w = glyph.shape
    slant = rng.uniform(-0.35, 0.35) if rng.random() < 0.6 else 0.0
    stretch = rng.uniform(0.6, 1.35)
    pad = round(abs(slant) * h) + 4
    affine = np.array([[stretch, -slant, pad + abs(slant) * h / 2], [0, 1, 4]], np.float32)
    glyph = cv2.warpAffine(glyph, affine, (round(w * stretch) + 2 * pad, h + 8), flags=cv2.INTER_LINEAR)
    change = rng.choice((-2, -1, 0, 0, 1, 2, 3))
    if change:
        kernel = np.ones((1 + 2 * abs(change), 1 + 2 * abs(change)), np.uint8)
        glyph = cv2.dilate(glyph, kernel) if change > 0 else cv2.erode(glyph, kernel)
    glyph = _tight(glyph)
    ratio = height / max(1, glyph.shape[0])
    size = (max(1, round(glyph.shape[1] * ratio)), max(1, round(glyph.shape[0] * ratio)))
    return np.asarray(cv2.resize(glyph, size, interpolation=cv2.INTER_AREA), np.uint8)


def _content(
    rng: random.Random, digit: int, abbreviation: str | None, variety: bool = False
) -> tuple[Image.Image, dict[str, object]]:
    """The marking as a white-on-black mask, drawn big (side 240 px); geometry in mask pixels. ``variety``: the digit
    from ``varied_digit`` rather than a tuning font as it is."""
    side = 240.0
    thick = rng.random() < 0.45
    width = max(3, round(side * (rng.uniform(1 / 12, 1 / 7) if thick else rng.uniform(1 / 34, 1 / 16))))
    # Under a thick stroke the interior is small: the digit is drawn smaller so that it still fits.
    digit_size = round(side * (rng.uniform(0.28, 0.4) if thick else rng.uniform(0.32, 0.5)))
    abbr_size = round(side * rng.uniform(0.18, 0.3))
    w = h = round(side * 1.7)
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    r = side / math.sqrt(3)
    cx, cy = w / 2, h / 2 - side * 0.12
    corners = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in (-90, 30, 150)]
    style = "arrows" if rng.random() < 0.7 else "plain"
    if style == "arrows":
        _arrows(draw, corners, side, width, rng)
    else:
        draw.polygon(corners, outline=255, width=width)
    if variety:
        glyph = varied_digit(rng, digit, round(digit_size * 0.72))
        gh, gw = glyph.shape
        x0 = round(cx - gw / 2)
        y0 = round(cy + side * rng.uniform(0.0, 0.1) - gh / 2)
        stamp = Image.fromarray(glyph)
        mask.paste(stamp, (x0, y0), stamp)  # the glyph is its own alpha: it adds to the strokes, never erases them
        digit_box = (x0, y0, x0 + gw, y0 + gh)
    else:
        font = _font(rng, digit_size, mono_ok=rng.random() < 0.3)
        left, top, right, bottom = font.getbbox(str(digit))
        dy = side * rng.uniform(0.0, 0.1)
        dx0 = cx - (right - left) / 2 - left
        dy0 = cy + dy - (bottom - top) / 2 - top
        bold = rng.choice((0, 0, 1, 2)) if digit_size > 60 else 0  # emboldened strokes: a heavier mould font
        draw.text((dx0, dy0), str(digit), font=font, fill=255, stroke_width=bold, stroke_fill=255)
        digit_box = (dx0 + left - bold, dy0 + top - bold, dx0 + right + bold, dy0 + bottom + bold)
    if abbreviation:
        font = _font(rng, abbr_size)
        left, top, right, bottom = font.getbbox(abbreviation)
        base = cy + r / 2 + width / 2 + side * rng.uniform(0.06, 0.14)
        draw.text((cx - (right - left) / 2 - left, base - top), abbreviation, font=font, fill=255)
    style = f"{style}-{'thick' if thick else 'thin'}"
    return mask, {"corners": corners, "centre": (cx, cy), "side": side, "digit_box": digit_box, "style": style}


def _transform(
    rng: random.Random, w: int, h: int, centre: tuple[float, float], scale: float, steep: bool = False
) -> np.ndarray:
    """Mask -> frame: perspective jitter (``steep``: up to twice as much), any turn, the scale, placed inside the
    frame."""
    jitter = rng.uniform(0.0, 0.16 if steep else 0.08)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = src + np.array([[rng.uniform(-jitter, jitter) * w, rng.uniform(-jitter, jitter) * h] for _ in range(4)])
    persp = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    a = math.radians(rng.uniform(-180, 180) if rng.random() < 0.7 else rng.uniform(-25, 25))
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]]) * np.array(
        [[scale], [scale], [1]]
    )
    move = np.array([[1, 0, -centre[0]], [0, 1, -centre[1]], [0, 0, 1]])
    core = rot @ move @ persp
    margin = 1.1 * scale * w / 2
    tx = rng.uniform(margin, max(margin + 1, WIDTH - margin))
    ty = rng.uniform(margin, max(margin + 1, HEIGHT - margin))
    return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]) @ core


def _map(homography: np.ndarray, points: list[tuple[float, float]]) -> np.ndarray:
    return np.asarray(cv2.perspectiveTransform(np.array([points], np.float32), homography)[0], np.float32)


def _curve(np_rng: np.random.Generator, image: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    """A cylinder's bulge: points along one direction pulled towards the centre line the further out they are."""
    angle = np_rng.uniform(0, math.pi)
    strength = np_rng.uniform(0.05, 0.2)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    u = (xx - centre[0]) * math.cos(angle) + (yy - centre[1]) * math.sin(angle)
    bend = strength * (u / max(radius, 1.0)) ** 2 * radius
    map_x = xx + bend * -math.sin(angle)
    map_y = yy + bend * math.cos(angle)
    return np.asarray(cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderValue=0.0))


def _background(rng: random.Random, np_rng: np.random.Generator) -> np.ndarray:
    colour = np.clip(np.array(rng.choice(COLOURS), np.float32) + np_rng.normal(0, 15, 3), 0, 255)
    img = np.empty((HEIGHT, WIDTH, 3), np.float32)
    img[:] = colour
    small = np_rng.normal(0, 1, (4, 5)).astype(np.float32)
    img += cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)[..., None] * rng.uniform(3, 15)
    grain = np_rng.normal(0, rng.uniform(1, 4), (HEIGHT, WIDTH)).astype(np.float32)
    img += cv2.GaussianBlur(grain, (0, 0), rng.uniform(0.5, 1.2))[..., None]
    return img


def _matte(rng: random.Random, np_rng: np.random.Generator) -> np.ndarray:
    """A grained, matte surface (a textured mould, a sand-blasted tub): noise blurred 0.8-2 px, of 2-6 grey levels
    (standard deviation), coarser and stronger than the fine grain every background has. Its edges point every way,
    as a relief's do, and the faint relief of a triangle drowns in them."""
    noise = cv2.GaussianBlur(np_rng.normal(0, 1, (HEIGHT, WIDTH)).astype(np.float32), (0, 0), rng.uniform(0.8, 2.0))
    return np.asarray(noise / max(float(noise.std()), 1e-6) * rng.uniform(2, 6), np.float32)


def _raised(np_rng: np.random.Generator, rng: random.Random, mask: np.ndarray, stroke: float) -> np.ndarray:
    """Shading of a raised relief lit by one low light: slopes facing the light bright, the far side in shadow."""
    height = cv2.GaussianBlur(mask, (0, 0), max(0.6, stroke * rng.uniform(0.15, 0.4)))
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3)
    light = np_rng.uniform(0, 2 * math.pi)
    shade = -(gx * math.cos(light) + gy * math.sin(light))
    peak = float(np.percentile(np.abs(shade), 99.5)) or 1.0
    # Faint to strong: a few grey levels of relief over the plastic's own texture is what most items show.
    strength = rng.uniform(6, 20) if rng.random() < 0.35 else rng.uniform(20, 70)
    # Some diffuse light on top: the raised top is a little brighter whichever side the lamp is on.
    diffuse = cv2.GaussianBlur(mask, (0, 0), 1.0) * rng.uniform(0, 0.25) * strength
    return np.asarray(shade / peak * strength + diffuse, np.float32)


def _printed(rng: random.Random, img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``mask`` printed in ink onto ``img``: dark ink on light plastic, light on dark, down to a pale print."""
    base = float(img.mean())
    ink = rng.uniform(10, 70) if base > 120 else rng.uniform(170, 250)
    alpha = mask * rng.uniform(0.25, 1.0)
    return np.asarray(img * (1 - alpha[..., None]) + ink * alpha[..., None], np.float32)


def _finish(
    rng: random.Random, np_rng: np.random.Generator, img: np.ndarray, centre: np.ndarray, side: float
) -> np.ndarray:
    """What the camera and the item's wear add to a drawn marking ``side`` px across about ``centre``: glare, dirt
    (specks and a smudge), blur, grey noise and JPEG. The frame, BGR uint8."""
    if rng.random() < 0.25:  # glare: a soft bright spot
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        gx, gy = centre + np_rng.normal(0, side * 0.4, 2)
        spot = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (side * rng.uniform(0.15, 0.5)) ** 2))
        img += (spot * rng.uniform(40, 140))[..., None]
    if rng.random() < 0.3:  # dirt: dark specks
        for _ in range(rng.randint(3, 25)):
            x, y = centre + np_rng.normal(0, side * 0.6, 2)
            cv2.circle(img, (int(x), int(y)), rng.randint(1, 3), tuple([rng.uniform(0, 80)] * 3), -1)
    if rng.random() < 0.2:  # dirt: a soft smudge across part of the marking
        smudge = np.zeros((HEIGHT, WIDTH), np.float32)
        x, y = centre + np_rng.normal(0, side * 0.3, 2)
        axes = (max(2, int(side * rng.uniform(0.1, 0.35))), max(2, int(side * rng.uniform(0.05, 0.2))))
        cv2.ellipse(smudge, (int(x), int(y)), axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        smudge = cv2.GaussianBlur(smudge, (0, 0), max(1.0, side * 0.05))
        img -= (smudge * rng.uniform(15, 60))[..., None]
    sigma = rng.uniform(0, 1.6) * min(1.0, side / 80)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += np_rng.normal(0, rng.uniform(0, 4), img.shape[:2]).astype(np.float32)[..., None]  # grey noise
    frame = np.clip(img, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(60, 92)])
    if ok:
        frame = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return frame


# ISO 11469 codes as moulded into an item's wall (``render_code_frame``), and the polymer each names.
ISO_CODES: tuple[tuple[str, str], ...] = (
    (">PP<", "pp"),
    (">PE-HD<", "hdpe"),
    (">PE-LD<", "ldpe"),
    (">HDPE<", "hdpe"),
    (">PET<", "pet"),
    (">PS<", "ps"),
    (">PVC<", "pvc"),
    (">ABS<", "abs"),
    (">PC<", "pc"),
    (">PMMA<", "pmma"),
    (">PP-T20<", "pp"),
    (">PA6<", "pa"),
    (">PC+ABS<", "pc-abs"),
    (">POM<", "other"),
)


@dataclass(frozen=True, slots=True)
class CodeFrame:
    frame: np.ndarray  # BGR uint8, 640x480
    code: str  # as moulded, brackets and all
    polymer: str
    height: float  # px: the font size the code was drawn at
    style: str  # "code-raised" or "code-printed"


def render_code_frame(rng: random.Random, np_rng: np.random.Generator, matte: bool = False) -> CodeFrame:
    """One frame of an ISO 11469 code (``ISO_CODES``) in a tuning font, 16-64 px: raised in the item's own colour
    under one low side light (three in four) or printed, in the same looks as the triangles (turn, perspective, a
    curved surface, glare, dirt, blur, noise, JPEG; ``matte``: on a grained surface)."""
    code, polymer = rng.choice(ISO_CODES)
    height = rng.uniform(16, 64)
    font = _font(rng, round(height))
    x0, y0, x1, y1 = font.getbbox(code)
    pad = int(height)
    w, h = int(x1 - x0) + 2 * pad, int(y1 - y0) + 2 * pad
    mask_img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask_img).text((pad - x0, pad - y0), code, font=font, fill=255)
    mask = np.asarray(mask_img, np.float32) / 255.0
    homography = _transform(rng, w, h, (w / 2, h / 2), 1.0)
    warped = cv2.warpPerspective(mask, homography, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderValue=0.0)
    centre = _map(homography, [(w / 2, h / 2)])[0]
    length = float(x1 - x0)
    if rng.random() < 0.5:
        warped = _curve(np_rng, warped, centre, length)
    img = _background(rng, np_rng)
    if matte:
        img += _matte(rng, np_rng)[..., None]
    if rng.random() < 0.75:
        img += _raised(np_rng, rng, warped, height / 8)[..., None]
        style = "code-raised"
    else:
        img = _printed(rng, img, warped)
        style = "code-printed"
    # The camera's blur and the dirt scale with the letters' height as the triangles' with half their side.
    return CodeFrame(_finish(rng, np_rng, img, centre, 2 * height), code, polymer, height, style)


def _marking(rng: random.Random, digit: int, sevens: bool) -> tuple[str | None, str]:
    """The abbreviation under the triangle (or None) and the polymer the item is."""
    names, polymer = RESIN[digit]
    if sevens and digit == 7 and rng.random() < 0.5:
        return rng.choice(SEVEN_POLYMERS)
    return (rng.choice(names) if rng.random() < 0.6 else None), polymer


def render_frame(
    rng: random.Random,
    np_rng: np.random.Generator,
    digit: int | None = None,
    variety: bool = False,
    matte: bool = False,
    sevens: bool = False,
) -> TriangleFrame:
    """One frame. ``variety``: the digit in shapes beyond the tuning fonts (``varied_digit``) and steeper
    perspective; ``matte``: a grained, matte surface (``_matte``); ``sevens``: half the 7s over the code of a
    polymer of category 7 (``SEVEN_POLYMERS``). All off, the frames are those this renderer has always drawn for a
    seed."""
    digit = digit if digit is not None else rng.randint(1, 7)
    abbreviation, polymer = _marking(rng, digit, sevens)
    mask_img, geometry = _content(rng, digit, abbreviation, variety)
    side = rng.uniform(40, 200)
    scale = side / float(geometry["side"])  # type: ignore[arg-type]
    mask = np.asarray(mask_img, np.float32) / 255.0
    if scale < 0.7:  # pre-blur against aliasing when shrinking a lot
        mask = cv2.GaussianBlur(mask, (0, 0), 0.4 / scale)
    homography = _transform(rng, mask.shape[1], mask.shape[0], geometry["centre"], scale, variety)  # type: ignore[arg-type]
    warped = cv2.warpPerspective(mask, homography, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderValue=0.0)
    corners = _map(homography, geometry["corners"])  # type: ignore[arg-type]
    centre = corners.mean(axis=0)
    if rng.random() < 0.5:
        warped = _curve(np_rng, warped, centre, side)
    img = _background(rng, np_rng)
    if matte:
        img += _matte(rng, np_rng)[..., None]
    raised = rng.random() < 0.6
    stroke = side / 20
    distractor_box = None
    if rng.random() < 0.3:  # a distractor line beside the triangle, same look
        text = rng.choice(DISTRACTORS)
        font = _font(rng, round(rng.uniform(14, 30)))
        layer = Image.new("L", (WIDTH, HEIGHT), 0)
        where = (rng.uniform(0, WIDTH - 150), rng.uniform(0, HEIGHT - 40))
        ImageDraw.Draw(layer).text(where, text, font=font, fill=255)
        x0, y0, x1, y1 = font.getbbox(text)
        x0, y0, x1, y1 = x0 + where[0], y0 + where[1], x1 + where[0], y1 + where[1]
        distractor_box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
        extra = np.asarray(layer, np.float32) / 255.0
        extra[cv2.dilate((warped > 0.05).astype(np.uint8), np.ones((15, 15), np.uint8)) > 0] = 0
        warped = np.maximum(warped, extra)
    if raised:
        img += _raised(np_rng, rng, warped, stroke)[..., None]
        style = "raised"
    else:
        img = _printed(rng, img, warped)
        style = "printed"
    frame = _finish(rng, np_rng, img, centre, side)
    apex = corners[0]
    up = math.degrees(math.atan2(float(apex[1] - centre[1]), float(apex[0] - centre[0])))
    x0, y0, x1, y1 = geometry["digit_box"]  # type: ignore[misc]
    digit_box = _map(homography, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    half = side * 0.62
    box = np.array(
        [centre + np.array([dx * half, dy * half]) for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))], np.float32
    )
    return TriangleFrame(
        frame,
        digit,
        abbreviation,
        polymer,
        (float(centre[0]), float(centre[1])),
        side,
        up,
        box,
        digit_box,
        f"{geometry['style']}-{style}",
        distractor_box,
    )


def write(
    out: Path,
    count: int,
    seed: int,
    variety: bool = False,
    matte: bool = False,
    sevens: bool = False,
    codes: bool = False,
) -> int:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    if out.exists():
        shutil.rmtree(out)
    if codes:
        return _write_codes(out, count, rng, np_rng, matte)
    for i in range(count):
        item = render_frame(rng, np_rng, digit=i % 7 + 1, variety=variety, matte=matte, sevens=sevens)
        text = f"{item.digit}\n{item.abbreviation}" if item.abbreviation else str(item.digit)
        _write_sample(out, f"tri-{i:04d}", item.frame, text, item.polymer, f"{item.style} size={round(item.side)}")
    return count


def _write_codes(out: Path, count: int, rng: random.Random, np_rng: np.random.Generator, matte: bool) -> int:
    for i in range(count):
        item = render_code_frame(rng, np_rng, matte)
        style = f"{item.style}{'-matte' if matte else ''} height={round(item.height)}"
        _write_sample(out, f"iso-{i:04d}", item.frame, item.code, item.polymer, style)
    return count


def _write_sample(out: Path, capture_id: str, frame: np.ndarray, text: str, polymer: str, style: str) -> None:
    """One frame and its sidecar in the evaluation layout (``DIR/plastic/<polymer>/<id>.jpg``)."""
    image_path, meta_path = sample_paths(out, "plastic", polymer, capture_id)
    image_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(image_path), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    meta = CaptureMeta(
        capture_id=capture_id,
        stream="plastic",
        label=polymer,
        truth=MarkingTruth(text=text, polymer=polymer, style=style),
    )
    meta_path.write_text(meta.model_dump_json(indent=1, exclude_none=True) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=210)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--variety", action="store_true", help="digits beyond the tuning fonts (varied_digit)")
    parser.add_argument("--matte", action="store_true", help="every item's surface grained and matte (_matte)")
    parser.add_argument("--sevens", action="store_true", help="half the 7s over PC, ABS, PA or PMMA (SEVEN_POLYMERS)")
    parser.add_argument("--codes", action="store_true", help="ISO 11469 codes instead of triangles (render_code_frame)")
    args = parser.parse_args()
    written = write(args.out, args.count, args.seed, args.variety, args.matte, args.sevens, args.codes)
    print(f"wrote {written} frames to {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
