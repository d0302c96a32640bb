"""Render the vision evaluation set of plastic markings and textile care labels (rendered, not photographed).

Every image is drawn by this script from a fixed seed, so the committed set in ``tests/data/vision_eval`` can be
rebuilt byte for byte on the same library versions (Pillow, OpenCV, numpy and the fonts listed below)::

    .venv/bin/python scripts/render_vision_evalset.py --out tests/data/vision_eval --seed 20261127

The layout is that of ``edge/vision/dataset.py``: ``ROOT/<stream>/<label>/<capture_id>.jpg`` plus a ``CaptureMeta``
sidecar whose ``truth`` is a ``MarkingTruth`` (the text as rendered and the polymer or the fibre composition).
The frames are synthetic: real markings on real products look different (moulded texture, curved surfaces, glare,
stitched labels that fold). Treat figures on this set as a check that the reader works, not as field accuracy.

Generator parameters (all drawn per item from the seeded generator):

Frame
    640x480 BGR, JPEG quality 85 (``JPEG_QUALITY``).
Fonts
    DejaVu Sans/Serif/Mono/Sans Condensed (regular and bold) and Liberation Sans/Serif/Mono/Sans Narrow (regular and
    bold), from Debian's fonts-dejavu-core and fonts-liberation. No extra font package is needed.
Plastics (stream ``plastic``, ``PLASTIC_ITEMS`` items, half ISO 11469 codes, half recycling triangles)
    ISO 11469/1043 codes ``>PP<``, ``>PE-HD<``, ``>PE-LD<``, ``>PS<``, ``>PET<``, ``>PVC<``, ``>ABS<``, ``>PC<``,
    ``>PC+ABS<``; recycling triangles drawn with lines (three arrows chasing round a triangle) with the resin digit 1-7
    inside and the abbreviation below (PET or PETE, HDPE, PVC, LDPE, PP, PS, OTHER). A quarter of the items carry a
    distractor line beside the marking (``MADE IN EU``, a lot number, a size).
    Text height (font size in pixels before the frame fit, which may shrink it to no less than 15 px) 16-64 px for
    printed codes and 22-64 px for embossed ones; triangle sides 70-190 px with the abbreviation at 15-40 px (20-40 px
    embossed). Looks: 55 % embossed/debossed (same colour as the plastic, a light edge on one side and
    a shadow on the other, offset 1-3 px, strength 45-90 grey levels), 45 % printed (ink darker or lighter than the
    plastic). Backgrounds: 12 plastic colours with smooth shading and a fine grain.
Care labels (stream ``textile``, ``TEXTILE_ITEMS`` items)
    Compositions of 1-3 fibres (100 %, 65/35, 95/5, 70/25/5, ...) in one language (nl, en, de, fr, es) or in a
    multi-language list (``65% polyester/polyester/Polyester``); 30 % of labels have a main part and a lining
    (Shell/Lining, Bovenstof/Voering, Obermaterial/Futter, Tissu principal/Doublure, Tejido principal/Forro); 45 % carry
    1-3 washing lines ("wash at 30°C", "niet in de droger", ...). Text height 16-40 px. White, cream, grey or black
    satin labels, printed in dark (or, on black, light) ink, lying on a woven cloth texture of a random colour.
    10 % of the labels are upside down (180° plus the tilt below).
Geometry and degradation (both streams)
    Tilt -30..30° (tried again with at most 20, 10, 3° when long content would otherwise be shrunk below 15 px);
    perspective: each corner of the content moved by up to 5 % of its size; placement anywhere that keeps
    the content inside the frame (the content is scaled down if it would not fit). Gaussian blur sigma 0-1.4, capped at
    text height / 18 so small text stays readable; Gaussian noise sigma 0-2.5 grey levels (plus 1.5-3.5 of plastic
    grain); 20 % of frames get low contrast (blend 40-60 % toward mid-grey); brightness -30..+30 and a soft light
    gradient. Cloth: a sine weave or twill of period 5-10 px, softened by a 0.9 px blur, with slow shading for folds.

Truth: ``label`` is the polymer slug (pet, hdpe, pvc, ldpe, pp, ps, abs, pc, pc-abs, other) for plastics and the
dominant fibre of the main part for care labels (the first-listed one on a tie); ``truth.composition`` lists the parts
in the order rendered, each fibre with its percent.
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

from edge.vision.dataset import CaptureMeta, CompositionPart, Fibre, MarkingTruth, sample_paths

WIDTH, HEIGHT = 640, 480
JPEG_QUALITY = 85
PLASTIC_ITEMS = 300
TEXTILE_ITEMS = 300
DEFAULT_SEED = 20261127
MIN_TEXT = 15.0  # px of font size in the frame; smaller is not fair to a reader
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationSans-Bold.ttf",
    "LiberationSerif-Regular.ttf",
    "LiberationSerif-Bold.ttf",
    "LiberationMono-Regular.ttf",
    "LiberationMono-Bold.ttf",
    "LiberationSansNarrow-Regular.ttf",
    "LiberationSansNarrow-Bold.ttf",
)

# ISO 11469 code text -> polymer slug.
ISO_CODES = {
    "PP": "pp",
    "PE-HD": "hdpe",
    "PE-LD": "ldpe",
    "PS": "ps",
    "PET": "pet",
    "PVC": "pvc",
    "ABS": "abs",
    "PC": "pc",
    "PC+ABS": "pc-abs",
}
# Resin identification code digit -> (abbreviations seen below the triangle, polymer slug).
RESIN_CODES = {
    1: (("PET", "PETE"), "pet"),
    2: (("HDPE", "PE-HD"), "hdpe"),
    3: (("PVC", "V"), "pvc"),
    4: (("LDPE", "PE-LD"), "ldpe"),
    5: (("PP",), "pp"),
    6: (("PS",), "ps"),
    7: (("OTHER", "O"), "other"),
}
DISTRACTORS = ("MADE IN EU", "LOT 2319", "Ø 120", "0,5 L", "MADE IN CHINA", "11/25", "FOOD SAFE")

LANGUAGES = ("nl", "en", "de", "fr", "es")
# Canonical fibre -> its name per language, as printed on labels (our own table: the parser is written separately).
FIBRE_NAMES: dict[str, dict[str, str]] = {
    "cotton": {"nl": "katoen", "en": "cotton", "de": "Baumwolle", "fr": "coton", "es": "algodón"},
    "polyester": {"nl": "polyester", "en": "polyester", "de": "Polyester", "fr": "polyester", "es": "poliéster"},
    "wool": {"nl": "wol", "en": "wool", "de": "Wolle", "fr": "laine", "es": "lana"},
    "viscose": {"nl": "viscose", "en": "viscose", "de": "Viskose", "fr": "viscose", "es": "viscosa"},
    "polyamide": {"nl": "polyamide", "en": "polyamide", "de": "Polyamid", "fr": "polyamide", "es": "poliamida"},
    "elastane": {"nl": "elastaan", "en": "elastane", "de": "Elasthan", "fr": "élasthanne", "es": "elastano"},
    "acrylic": {"nl": "acryl", "en": "acrylic", "de": "Polyacryl", "fr": "acrylique", "es": "acrílico"},
    "linen": {"nl": "linnen", "en": "linen", "de": "Leinen", "fr": "lin", "es": "lino"},
    "silk": {"nl": "zijde", "en": "silk", "de": "Seide", "fr": "soie", "es": "seda"},
    "modal": {"nl": "modal", "en": "modal", "de": "Modal", "fr": "modal", "es": "modal"},
    "lyocell": {"nl": "lyocell", "en": "lyocell", "de": "Lyocell", "fr": "lyocell", "es": "lyocell"},
    "cashmere": {"nl": "kasjmier", "en": "cashmere", "de": "Kaschmir", "fr": "cachemire", "es": "cachemira"},
}
PART_NAMES: dict[str, dict[str, str]] = {
    "main": {"nl": "Bovenstof", "en": "Shell", "de": "Obermaterial", "fr": "Tissu principal", "es": "Tejido principal"},
    "lining": {"nl": "Voering", "en": "Lining", "de": "Futter", "fr": "Doublure", "es": "Forro"},
}
WASHING_LINES = {
    "nl": (
        "wassen op 30°C",
        "niet in de droger",
        "niet bleken",
        "strijken op lage temperatuur",
        "binnenstebuiten wassen",
    ),
    "en": ("wash at 30°C", "do not tumble dry", "do not bleach", "cool iron", "wash inside out"),
    "de": ("waschen bei 40°C", "nicht im Trockner trocknen", "nicht bleichen", "Schonwaschgang"),
    "fr": ("laver à 30°C", "ne pas sécher en machine", "ne pas blanchir", "repassage doux"),
    "es": ("lavar a 30°C", "no usar secadora", "no usar lejía", "planchar a baja temperatura"),
}
# Blends as printed on labels: (fibres, percents); percents sum to 100 and are listed largest first.
BLENDS: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    (("cotton",), (100,)),
    (("polyester",), (100,)),
    (("wool",), (100,)),
    (("viscose",), (100,)),
    (("linen",), (100,)),
    (("silk",), (100,)),
    (("acrylic",), (100,)),
    (("cashmere",), (100,)),
    (("polyamide",), (100,)),
    (("polyester", "cotton"), (65, 35)),
    (("cotton", "polyester"), (60, 40)),
    (("cotton", "polyester"), (50, 50)),
    (("cotton", "elastane"), (95, 5)),
    (("cotton", "elastane"), (98, 2)),
    (("cotton", "elastane"), (97, 3)),
    (("viscose", "elastane"), (95, 5)),
    (("polyester", "elastane"), (92, 8)),
    (("polyamide", "elastane"), (80, 20)),
    (("wool", "polyamide"), (80, 20)),
    (("wool", "cashmere"), (90, 10)),
    (("acrylic", "wool"), (70, 30)),
    (("linen", "cotton"), (55, 45)),
    (("modal", "cotton"), (50, 50)),
    (("lyocell", "cotton"), (70, 30)),
    (("viscose", "polyester"), (60, 40)),
    (("cotton", "modal"), (60, 40)),
    (("polyester", "viscose", "elastane"), (70, 25, 5)),
    (("cotton", "polyester", "elastane"), (50, 45, 5)),
    (("wool", "polyamide", "cashmere"), (70, 20, 10)),
    (("viscose", "polyamide", "elastane"), (60, 35, 5)),
    (("acrylic", "polyester", "wool"), (50, 30, 20)),
    (("silk", "cotton"), (70, 30)),
)
LININGS: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...] = (
    (("polyester",), (100,)),
    (("viscose",), (100,)),
    (("cotton",), (100,)),
    (("polyamide",), (100,)),
    (("polyester", "elastane"), (95, 5)),
)
PLASTIC_COLOURS = (  # BGR
    (235, 235, 232),
    (200, 205, 200),
    (40, 40, 42),
    (170, 110, 40),
    (50, 50, 180),
    (60, 140, 60),
    (40, 190, 220),
    (150, 150, 150),
    (210, 220, 225),
    (120, 80, 140),
    (30, 90, 200),
    (200, 170, 150),
)
LABEL_COLOURS = ((245, 245, 245), (220, 238, 245), (225, 225, 225), (30, 30, 30), (235, 245, 250))


@dataclass(frozen=True, slots=True)
class Item:
    stream: str
    label: str
    truth: MarkingTruth
    image: np.ndarray
    text_height: float  # font size in frame pixels after the fit


def _font(rng: random.Random, size: int, mono_ok: bool = True) -> ImageFont.FreeTypeFont:
    choices = [f for f in FONT_FILES if mono_ok or "Mono" not in f]
    name = rng.choice(choices)
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    msg = f"font {name} not found under {FONT_DIRS}; install fonts-dejavu-core and fonts-liberation"
    raise FileNotFoundError(msg)


def _smooth_noise(np_rng: np.random.Generator, cells: int, amplitude: float) -> np.ndarray:
    small = np_rng.normal(0.0, 1.0, (max(2, cells * 3 // 4), max(2, cells))).astype(np.float32)
    return cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC) * amplitude


def _plastic_background(rng: random.Random, np_rng: np.random.Generator) -> np.ndarray:
    colour = np.array(rng.choice(PLASTIC_COLOURS), np.float32)
    colour = np.clip(colour + np_rng.normal(0, 10, 3), 0, 255)
    img = np.empty((HEIGHT, WIDTH, 3), np.float32)
    img[:] = colour
    img += _smooth_noise(np_rng, rng.randint(3, 8), rng.uniform(4, 14))[..., None]
    grain = cv2.GaussianBlur(np_rng.normal(0, rng.uniform(1.5, 3.5), (HEIGHT, WIDTH)).astype(np.float32), (0, 0), 0.8)
    img += grain[..., None]
    return img


def _cloth_background(rng: random.Random, np_rng: np.random.Generator) -> np.ndarray:
    colour = np.array([rng.randint(20, 230) for _ in range(3)], np.float32)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    period = rng.uniform(5.0, 10.0)
    angle = math.radians(rng.uniform(-20, 20))
    u = xx * math.cos(angle) + yy * math.sin(angle)
    v = -xx * math.sin(angle) + yy * math.cos(angle)
    weave = np.sin(2 * math.pi * u / period) * np.sin(2 * math.pi * v / period)
    if rng.random() < 0.5:  # twill: diagonal ribs
        weave = np.sin(2 * math.pi * (u + v) / (period * 1.4))
    img = np.empty((HEIGHT, WIDTH, 3), np.float32)
    img[:] = colour
    # Softened as a lens would: a razor-sharp weave is also what JPEG stores worst.
    weave = cv2.GaussianBlur(weave, (0, 0), 0.9)
    img += (weave * rng.uniform(4, 10))[..., None]
    img += _smooth_noise(np_rng, rng.randint(2, 5), rng.uniform(8, 20))[..., None]  # folds
    return img


def _text_size(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    left, top, right, bottom = font.getbbox(text)
    return int(left), int(top), int(right), int(bottom)


def _draw_arrow_triangle(draw: ImageDraw.ImageDraw, cx: float, cy: float, side: float, width: int) -> None:
    """Three arrows chasing round an equilateral triangle (the Möbius loop drawn with lines)."""
    r = side / math.sqrt(3)
    corners = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a))) for a in (-90, 30, 150)]
    gap = 0.14
    head = max(5.0, side * 0.12)
    for i in range(3):
        (x0, y0), (x1, y1) = corners[i], corners[(i + 1) % 3]
        sx, sy = x0 + (x1 - x0) * gap, y0 + (y1 - y0) * gap
        ex, ey = x0 + (x1 - x0) * (1 - gap), y0 + (y1 - y0) * (1 - gap)
        draw.line([(sx, sy), (ex, ey)], fill=255, width=width)
        # The arrowhead continues round the corner towards the next side.
        dx, dy = (ex - sx), (ey - sy)
        norm = math.hypot(dx, dy)
        dx, dy = dx / norm, dy / norm
        tip = (ex + dx * head, ey + dy * head)
        left = (ex - dy * head * 0.6, ey + dx * head * 0.6)
        right = (ex + dy * head * 0.6, ey - dx * head * 0.6)
        draw.polygon([tip, left, right], fill=255)


def _plastic_content(rng: random.Random, index: int, embossed: bool) -> tuple[Image.Image, str, str, float]:
    """A mask with the marking (white on black), the text, the polymer slug and the text height in mask pixels."""
    distractor = rng.choice(DISTRACTORS) if rng.random() < 0.25 else None
    if index % 2 == 0:
        return _iso_code_content(rng, index, embossed, distractor)
    return _triangle_content(rng, index, embossed, distractor)


def _iso_code_content(
    rng: random.Random, index: int, embossed: bool, distractor: str | None
) -> tuple[Image.Image, str, str, float]:
    code = list(ISO_CODES)[(index // 2) % len(ISO_CODES)]
    slug = ISO_CODES[code]
    text = f">{code}<"
    # Embossed text shows only by its edges: below about 22 px a person cannot read it either.
    size = rng.randint(22 if embossed else 16, 64)
    font = _font(rng, size)
    pad = size // 2
    lines = [(text, font)]
    if distractor:
        lines.append((distractor, _font(rng, max(14, int(size * rng.uniform(0.5, 0.8))))))
    widths = [_text_size(f, t)[2] - _text_size(f, t)[0] for t, f in lines]
    heights = [_text_size(f, t)[3] - _text_size(f, t)[1] for t, f in lines]
    w = max(widths) + 2 * pad
    h = sum(heights) + 2 * pad + (len(lines) - 1) * size // 2
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    y = pad
    for (t, f), lw, lh in zip(lines, widths, heights, strict=True):
        lft, tp, _, _ = _text_size(f, t)
        draw.text(((w - lw) / 2 - lft, y - tp), t, font=f, fill=255)
        y += lh + size // 2
    full_text = text if distractor is None else f"{text}\n{distractor}"
    return mask, full_text, slug, float(size)


def _triangle_content(
    rng: random.Random, index: int, embossed: bool, distractor: str | None
) -> tuple[Image.Image, str, str, float]:
    digit = (index // 2) % 7 + 1
    names, slug = RESIN_CODES[digit]
    abbreviation = rng.choice(names)
    side = rng.uniform(70, 190)
    abbr_size = int(max(20 if embossed else 15, min(40, side * rng.uniform(0.2, 0.3))))
    digit_size = int(side * rng.uniform(0.38, 0.48))
    font_digit = _font(rng, digit_size, mono_ok=False)
    font_abbr = _font(rng, abbr_size)
    al, at, ar, ab = _text_size(font_abbr, abbreviation)
    w = int(max(side * 1.3, ar - al + abbr_size))
    h = int(side * 1.15 + (ab - at) + abbr_size * 1.2)
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy = w / 2, abbr_size * 0.4 + side / math.sqrt(3)
    _draw_arrow_triangle(draw, cx, cy, side, width=max(2, int(side / 22)))
    dl, dt, dr, db = _text_size(font_digit, str(digit))
    # The digit sits a little below the triangle's centroid, where there is most room.
    draw.text((cx - (dr - dl) / 2 - dl, cy + side * 0.05 - (db - dt) / 2 - dt), str(digit), font=font_digit, fill=255)
    # Below the bottom side, clear of its line width and of the arrowheads that stick out of it.
    abbr_y = cy + side / (2 * math.sqrt(3)) + side * 0.1 + abbr_size * 0.25
    draw.text((cx - (ar - al) / 2 - al, abbr_y - at), abbreviation, font=font_abbr, fill=255)
    text = f"{digit}\n{abbreviation}"
    if distractor:  # the distractor goes on a line of its own below
        font_d = _font(rng, abbr_size)
        dl2, dt2, dr2, db2 = _text_size(font_d, distractor)
        bigger = Image.new("L", (max(w, dr2 - dl2 + abbr_size), h + (db2 - dt2) + abbr_size), 0)
        bigger.paste(mask, ((bigger.width - w) // 2, 0))
        ImageDraw.Draw(bigger).text(
            ((bigger.width - (dr2 - dl2)) / 2 - dl2, h - dt2), distractor, font=font_d, fill=255
        )
        mask = bigger
        text = f"{text}\n{distractor}"
    return mask, text, slug, float(abbr_size)


def _homography(rng: random.Random, w: int, h: int, angle_deg: float) -> tuple[np.ndarray, float]:
    """Content (w x h) to frame: tilt, mild perspective and placement, scaled down if it would not fit."""
    jitter = 0.05
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = src + np.array([[rng.uniform(-jitter, jitter) * w, rng.uniform(-jitter, jitter) * h] for _ in range(4)])
    persp = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    centre = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]])
    core = rot @ centre @ persp
    pts = cv2.perspectiveTransform(src[None], core)[0]
    span_w = pts[:, 0].max() - pts[:, 0].min()
    span_h = pts[:, 1].max() - pts[:, 1].min()
    margin = 12
    scale = min(1.0, (WIDTH - 2 * margin) / span_w, (HEIGHT - 2 * margin) / span_h)
    pts = pts * scale
    lo_x, hi_x = margin - pts[:, 0].min(), WIDTH - margin - pts[:, 0].max()
    lo_y, hi_y = margin - pts[:, 1].min(), HEIGHT - margin - pts[:, 1].max()
    tx = rng.uniform(lo_x, hi_x) if lo_x < hi_x else (lo_x + hi_x) / 2
    ty = rng.uniform(lo_y, hi_y) if lo_y < hi_y else (lo_y + hi_y) / 2
    place = np.array([[scale, 0, tx], [0, scale, ty], [0, 0, 1]])
    return place @ core, scale


def _fit(rng: random.Random, w: int, h: int, text_size: float, turn: float = 0.0) -> tuple[np.ndarray, float]:
    """A homography that keeps the text at least ``MIN_TEXT`` px high: long content gets a smaller tilt instead."""
    for max_tilt in (30.0, 20.0, 10.0, 3.0):
        homography, scale = _homography(rng, w, h, rng.uniform(-max_tilt, max_tilt) + turn)
        if text_size * scale >= MIN_TEXT:
            break
    return homography, text_size * scale


def _warp(mask: Image.Image, homography: np.ndarray) -> np.ndarray:
    arr = np.asarray(mask, np.float32) / 255.0
    return cv2.warpPerspective(arr, homography, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderValue=0.0)


def _degrade(rng: random.Random, np_rng: np.random.Generator, img: np.ndarray, text_height: float) -> np.ndarray:
    sigma = min(rng.uniform(0.0, 1.4), text_height / 18)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    gradient = ((xx - WIDTH / 2) * math.cos(a) + (yy - HEIGHT / 2) * math.sin(a)) / WIDTH * rng.uniform(0, 40)
    img = img + gradient[..., None] + rng.uniform(-30, 30)
    if rng.random() < 0.2:
        keep = rng.uniform(0.4, 0.6)
        img = img * keep + 128 * (1 - keep)
    img = img + np_rng.normal(0, rng.uniform(0, 2.5), img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def render_plastic(rng: random.Random, np_rng: np.random.Generator, index: int) -> Item:
    embossed = rng.random() < 0.55
    mask, text, slug, size = _plastic_content(rng, index, embossed)
    homography, text_height = _fit(rng, mask.width, mask.height, size)
    warped = _warp(mask, homography)
    img = _plastic_background(rng, np_rng)
    if embossed:
        # Embossed (or debossed): same colour as the plastic; only the light edge and the shadow show the marking.
        offset = max(1, round(text_height / rng.uniform(14, 22)))
        offset = min(offset, 3)
        strength = rng.uniform(45, 90)
        direction = rng.choice([(1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1), (1, 0)])
        if rng.random() < 0.5:
            direction = (-direction[0], -direction[1])  # debossed: light and shadow swap sides
        dx, dy = direction[0] * offset, direction[1] * offset
        shadow = cv2.warpAffine(warped, np.array([[1, 0, dx], [0, 1, dy]], np.float32), (WIDTH, HEIGHT))
        light = cv2.warpAffine(warped, np.array([[1, 0, -dx], [0, 1, -dy]], np.float32), (WIDTH, HEIGHT))
        relief = (light - shadow) * strength
        img += relief[..., None]
    else:
        base = img.mean()
        ink = rng.uniform(10, 60) if base > 110 else rng.uniform(190, 250)
        ink_colour = np.array([ink + rng.uniform(-10, 10) for _ in range(3)], np.float32)
        img = img * (1 - warped[..., None]) + ink_colour * warped[..., None]
    frame = _degrade(rng, np_rng, img, text_height)
    return Item("plastic", slug, MarkingTruth(text=text, polymer=slug), frame, text_height)


def _composition(rng: random.Random) -> tuple[CompositionPart, ...]:
    fibres, percents = rng.choice(BLENDS)
    main = CompositionPart(
        part="main", fibres=tuple(Fibre(fibre=f, percent=p) for f, p in zip(fibres, percents, strict=True))
    )
    if rng.random() < 0.3:
        lf, lp = rng.choice(LININGS)
        lining = CompositionPart(
            part="lining", fibres=tuple(Fibre(fibre=f, percent=p) for f, p in zip(lf, lp, strict=True))
        )
        return (main, lining)
    return (main,)


def _composition_lines(rng: random.Random, parts: tuple[CompositionPart, ...]) -> list[str]:
    multi = rng.random() < 0.35
    languages = rng.sample(LANGUAGES, rng.randint(2, 5)) if multi else [rng.choice(LANGUAGES)]
    part_lang = languages[0]
    one_line = not multi and rng.random() < 0.5
    lines: list[str] = []
    for part in parts:
        fibre_texts = []
        for fibre in part.fibres:
            names = [FIBRE_NAMES[fibre.fibre][lang] for lang in languages]
            unique = list(dict.fromkeys(names)) if rng.random() < 0.5 else names
            sep = rng.choice(["% ", "%  "]) if not multi else "% "
            fibre_texts.append(f"{fibre.percent}{sep}{'/'.join(unique)}")
        prefix = ""
        if len(parts) > 1:
            prefix = f"{PART_NAMES[part.part][part_lang]}:"
        if one_line:
            body = " ".join(fibre_texts)
            lines.append(f"{prefix} {body}".strip())
        else:
            if prefix:
                lines.append(prefix)
            lines.extend(fibre_texts)
    return lines


def render_textile(rng: random.Random, np_rng: np.random.Generator) -> Item:
    parts = _composition(rng)
    lines = _composition_lines(rng, parts)
    if rng.random() < 0.45:
        lang = rng.choice(LANGUAGES)
        washing = rng.sample(WASHING_LINES[lang], rng.randint(1, 3))
        lines = [*lines, *washing] if rng.random() < 0.7 else [*washing, *lines]
    size = rng.randint(16, 40)
    font = _font(rng, size)
    boxes = [_text_size(font, line) for line in lines]
    line_h = int(size * rng.uniform(1.25, 1.6))
    pad = int(size * rng.uniform(0.6, 1.2))
    w = max(r - lft for lft, _, r, _ in boxes) + 2 * pad
    h = line_h * len(lines) + 2 * pad
    label_colour = rng.choice(LABEL_COLOURS)
    dark_label = sum(label_colour) < 300
    text_mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(text_mask)
    centred = rng.random() < 0.4
    for i, (line, (lft, top, r, _)) in enumerate(zip(lines, boxes, strict=True)):
        x = (w - (r - lft)) / 2 - lft if centred else pad - lft
        draw.text((x, pad + i * line_h - top + (line_h - size) / 2), line, font=font, fill=255)
    label_mask = Image.new("L", (w, h), 255)
    upside_down = rng.random() < 0.10
    homography, text_height = _fit(rng, w, h, float(size), turn=180.0 if upside_down else 0.0)
    text_w = _warp(text_mask, homography)
    label_w = _warp(label_mask, homography)
    img = _cloth_background(rng, np_rng)
    label_img = np.empty_like(img)
    label_img[:] = np.array(label_colour, np.float32)
    label_img += np_rng.normal(0, 1, (HEIGHT, WIDTH, 1)).astype(np.float32)
    label_img += _smooth_noise(np_rng, 4, 5)[..., None]
    ink = np.array(
        (235, 235, 235) if dark_label else rng.choice([(25, 25, 25), (60, 40, 30), (90, 30, 30)]), np.float32
    )
    ink_alpha = rng.uniform(0.7, 1.0)  # faded print
    label_img = label_img * (1 - ink_alpha * text_w[..., None]) + ink * ink_alpha * text_w[..., None]
    # A soft shadow under the label lifts it off the cloth.
    shadow = cv2.GaussianBlur(label_w, (0, 0), 3) * 0.35
    img = img * (1 - shadow[..., None])
    img = img * (1 - label_w[..., None]) + label_img * label_w[..., None]
    frame = _degrade(rng, np_rng, img, text_height)
    main = parts[0]
    dominant = max(main.fibres, key=lambda f: f.percent).fibre  # max() keeps the first on a tie
    truth = MarkingTruth(text="\n".join(lines), composition=parts)
    return Item("textile", dominant, truth, frame, text_height)


def render(out: Path, seed: int, plastic_items: int = PLASTIC_ITEMS, textile_items: int = TEXTILE_ITEMS) -> int:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    if out.exists():
        shutil.rmtree(out)
    count = 0
    small = 0
    for i in range(plastic_items + textile_items):
        item = render_plastic(rng, np_rng, i) if i < plastic_items else render_textile(rng, np_rng)
        capture_id = f"{item.stream[:3]}-{i:04d}"
        image_path, meta_path = sample_paths(out, item.stream, item.label, capture_id)
        image_path.parent.mkdir(parents=True, exist_ok=True)
        ok, encoded = cv2.imencode(".jpg", item.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            msg = f"JPEG encoding failed for {capture_id}"
            raise RuntimeError(msg)
        image_path.write_bytes(encoded.tobytes())
        meta = CaptureMeta(capture_id=capture_id, stream=item.stream, label=item.label, truth=item.truth)
        meta_path.write_text(meta.model_dump_json(indent=1, exclude_none=True) + "\n", encoding="utf-8")
        count += 1
        small += item.text_height < MIN_TEXT
    print(f"{small} items have text below {MIN_TEXT:.0f} px (long labels that fit no other way)")  # noqa: T201
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("tests/data/vision_eval"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--plastic", type=int, default=PLASTIC_ITEMS)
    parser.add_argument("--textile", type=int, default=TEXTILE_ITEMS)
    args = parser.parse_args()
    count = render(args.out, args.seed, args.plastic, args.textile)
    print(f"wrote {count} items to {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
