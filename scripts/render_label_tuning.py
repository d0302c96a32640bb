"""Render care labels to TUNE the care-label reader on: woven, washed pale, creased, upside down, several parts and
languages, in the tuning fonts only (``scripts/font_split.py``: DejaVu and Liberation).

Why a third renderer: the committed set (``render_vision_evalset.py``) prints every label crisply on satin, and the
held-apart test set (``render_field_evalset.py``) must never be tuned on. This one draws the hard kinds of label with
its own code, so the OCR preprocessing and the parser's structural rules can be developed and checked on it, and the
held-apart figures stay a prediction. Nothing here is copied from the held-apart renderer.

    python scripts/render_label_tuning.py --out /tmp/labels --items 150          # render
    python scripts/render_label_tuning.py --out /tmp/labels --read               # render, read, figures per style
    python scripts/render_label_tuning.py --out /tmp/labels --read --every 3     # read every 3rd label only
    python scripts/render_label_tuning.py --out /tmp/labels --read --no-render --looks smoothed,relief  # fewer looks

Looks (drawn per item from the seed):

* ``satin``: crisp print, dark ink on a light label or light ink on a dark one;
* ``woven``: the letters woven on a thread grid of 2-4 px (stroke edges squared off to the grid), with the threads'
  shading across label and letters alike;
* ``pale``: print washed out to 18-45 % of its contrast, slightly blurred, on an off-white label; with ``--faint``
  every label is pale, washed out to 6-16 % (barely legible, as a label after many washes);
* a crease on 35 % of labels (a fold line across, a strip of the label hidden under it, light on one side of it and a
  shadow on the other), upside down on 20 %;
* with ``--far``, every label seen from farther off: scaled to 0.4-0.75 of its size instead of 0.9-1.5, so the
  letters are 9-30 px high and a woven label's threads 1-3 px apart (how a station camera hung higher sees them).

Texts: 1-3 fibres, 30 % with a lining (and a few with a trim), in one of nl/en/de/fr/es/it or in several at once
(names run together with ``/``, one line per language, or fibre first), with qualifiers (recycled, organic, merino),
``exclusive of trims`` lines, washing lines and ``Made in`` lines. Every part adds up to 100.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.vision.dataset import CaptureMeta, CompositionPart, Fibre, MarkingTruth, sample_paths
from scripts.font_split import TUNING_FONTS, font_paths

WIDTH, HEIGHT = 640, 480
DEFAULT_SEED = 16016  # the tuning figures in docs/vision.md are for this seed and 150 items
PALE_CONTRAST = (0.18, 0.45)  # the share of its contrast a pale label's print keeps
FAINT_CONTRAST = (0.06, 0.16)  # ... with --faint
MIN_TEXT = 15  # px of font size in the frame, as the committed set: smaller is not fair to a reader
SCALES = {"near": (0.9, 1.5), "far": (0.4, 0.75)}  # how large a label's pixels come out in the frame (``--far``)
MIN_TEXT_FAR = 9  # px of font size in the frame, seen from farther off
LANGS = ("nl", "en", "de", "fr", "es", "it")
NAMES: dict[str, tuple[str, str, str, str, str, str]] = {  # nl, en, de, fr, es, it
    "cotton": ("katoen", "cotton", "Baumwolle", "coton", "algodón", "cotone"),
    "polyester": ("polyester", "polyester", "Polyester", "polyester", "poliéster", "poliestere"),
    "wool": ("wol", "wool", "Wolle", "laine", "lana", "lana"),
    "viscose": ("viscose", "viscose", "Viskose", "viscose", "viscosa", "viscosa"),
    "polyamide": ("polyamide", "polyamide", "Polyamid", "polyamide", "poliamida", "poliammide"),
    "elastane": ("elastaan", "elastane", "Elasthan", "élasthanne", "elastano", "elastan"),
    "linen": ("linnen", "linen", "Leinen", "lin", "lino", "lino"),
    "acrylic": ("acryl", "acrylic", "Polyacryl", "acrylique", "acrílico", "acrilico"),
    "silk": ("zijde", "silk", "Seide", "soie", "seda", "seta"),
    "cashmere": ("kasjmier", "cashmere", "Kaschmir", "cachemire", "cachemira", "cashmere"),
    "modal": ("modal", "modal", "Modal", "modal", "modal", "modal"),
    "lyocell": ("lyocell", "lyocell", "Lyocell", "lyocell", "lyocell", "lyocell"),
    "metallic": ("metaalvezel", "metallic", "Metallfaser", "fibre métallique", "fibra metálica", "fibra metallica"),
}
HEADERS = {  # nl, en, de, fr, es, it
    "main": ("Bovenstof", "Shell", "Obermaterial", "Tissu principal", "Tejido principal", "Tessuto principale"),
    "lining": ("Voering", "Lining", "Futter", "Doublure", "Forro", "Fodera"),
    "trim": ("Garnering", "Trim", "Besatz", "Garniture", "Adorno", "Guarnizione"),
}
QUALIFIED = {  # a qualifier before a fibre name, by language: the composition keeps the base fibre
    "polyester": ("gerecycled", "recycled", "recyceltes", "recyclé", "reciclado", "riciclato"),
    "cotton": ("biologisch", "organic", "Bio-", "biologique", "orgánico", "biologico"),
}
EXCLUSIONS = (
    "exclusive of trims",
    "exclusive of elastic and decoration",
    "exclusief garnering",
    "ohne Zutaten",
    "hors garnitures",
    "excepto adornos",
    "escluso guarnizioni",
)
OTHER_LINES = (
    "wash at 30°C",
    "do not tumble dry",
    "niet bleken",
    "nicht bügeln",
    "laver à 40°",
    "lavar a mano",
    "Made in Portugal",
    "Made in Bangladesh",
    "Hecho en Marruecos",
    "RN 52469",
    "art. 4471-02",
)
BLENDS = (
    (("cotton",), (100,)),
    (("polyester",), (100,)),
    (("wool",), (100,)),
    (("viscose",), (100,)),
    (("linen",), (100,)),
    (("cotton", "elastane"), (95, 5)),
    (("cotton", "elastane"), (97, 3)),
    (("polyester", "cotton"), (65, 35)),
    (("cotton", "polyester"), (52, 48)),
    (("viscose", "polyamide"), (70, 30)),
    (("wool", "polyamide"), (85, 15)),
    (("wool", "cashmere"), (90, 10)),
    (("polyamide", "elastane"), (82, 18)),
    (("linen", "viscose"), (55, 45)),
    (("acrylic", "wool", "polyester"), (45, 35, 20)),
    (("viscose", "polyester", "elastane"), (68, 28, 4)),
    (("cotton", "modal", "elastane"), (48, 47, 5)),
    (("silk", "cotton"), (60, 40)),
    (("lyocell", "linen"), (70, 30)),
    (("polyester", "metallic"), (96, 4)),
)
LININGS = ((("polyester",), (100,)), (("viscose",), (100,)), (("cotton",), (100,)), (("polyamide",), (100,)))
FONTS = font_paths(TUNING_FONTS)


def composition(rng: random.Random) -> list[CompositionPart]:
    def part(name: str, table: tuple[tuple[tuple[str, ...], tuple[int, ...]], ...]) -> CompositionPart:
        fibres, percents = rng.choice(table)
        return CompositionPart(
            part=name, fibres=tuple(Fibre(fibre=f, percent=p) for f, p in zip(fibres, percents, strict=True))
        )

    parts = [part("main", BLENDS)]
    if rng.random() < 0.3:
        parts.append(part("lining", LININGS))
        if rng.random() < 0.2:
            parts.append(part("trim", LININGS))
    return parts


def _fibre_text(rng: random.Random, fibre: Fibre, langs: list[int], qualify: bool) -> str:
    named = [(i, NAMES[fibre.fibre][i]) for i in langs]
    if rng.random() < 0.5:  # a name two languages share written once, with its first language, in the order of its
        # last occurrence (the 300-label tuning figures in docs/vision.md were rendered so)
        named = list({name: (i, name) for i, name in reversed(named)}.values())[::-1]
    names = [name for _, name in named]
    if qualify and fibre.fibre in QUALIFIED:
        names = [f"{QUALIFIED[fibre.fibre][i]} {name}".replace("- ", "-") for i, name in named]
    if fibre.fibre == "wool" and qualify and rng.random() < 0.5:
        names = ["merino " + n if n in ("wool", "wol") else n for n in names]
    sep = rng.choice(("/", " / ", " - ", ", "))
    return sep.join(names)


def label_lines(rng: random.Random, parts: list[CompositionPart]) -> tuple[list[str], dict[str, str]]:
    several = rng.random() < 0.45
    langs = rng.sample(range(len(LANGS)), rng.randint(2, 4)) if several else [rng.randrange(len(LANGS))]
    per_language = several and rng.random() < 0.4  # the whole composition once per language
    qualify = rng.random() < 0.25
    fibre_first = rng.random() < 0.2
    lines: list[str] = []
    blocks = [[lang] for lang in langs] if per_language else [langs]
    for block in blocks:
        for part in parts:
            texts = []
            for fibre in part.fibres:
                name = _fibre_text(rng, fibre, block, qualify)
                texts.append(f"{name} {fibre.percent}%" if fibre_first else f"{fibre.percent}% {name}")
            header = ""
            if len(parts) > 1:
                header = " / ".join(HEADERS[part.part][i] for i in block) + ":"
            if rng.random() < 0.5 or len(texts) > 2:
                if header:
                    lines.append(header)
                lines.extend(texts)
            else:
                lines.append(f"{header} {' '.join(texts)}".strip())
    if rng.random() < 0.2:
        lines.append(rng.choice(EXCLUSIONS))
    extra = rng.sample(OTHER_LINES, rng.randint(0, 3))
    lines = [*extra, *lines] if rng.random() < 0.3 else [*lines, *extra]
    style = {
        "languages": str(len(langs)),
        "per_language": "yes" if per_language else "no",
        "parts": str(len(parts)),
        "qualifier": "yes" if qualify else "no",
        "fibre_first": "yes" if fibre_first else "no",
    }
    return lines, style


def _text_mask(rng: random.Random, lines: list[str], size: int) -> np.ndarray:
    font = ImageFont.truetype(str(rng.choice(FONTS)), size)
    gap = int(size * rng.uniform(1.2, 1.55))
    margin = int(size * rng.uniform(0.7, 1.3))
    widths = [int(font.getlength(line)) for line in lines]
    w, h = max(widths) + 2 * margin, gap * len(lines) + 2 * margin
    image = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(image)
    centre = rng.random() < 0.5
    for i, (line, width) in enumerate(zip(lines, widths, strict=True)):
        x = (w - width) // 2 if centre else margin
        draw.text((x, margin + i * gap), line, font=font, fill=255)
    return np.asarray(image, np.float32) / 255.0


def _woven(np_rng: np.random.Generator, mask: np.ndarray, cell: int) -> tuple[np.ndarray, np.ndarray]:
    """The text as woven threads: each grid cell is ink or ground (squared-off strokes), with thread shading."""
    h, w = mask.shape
    small = cv2.resize(mask, (max(1, w // cell), max(1, h // cell)), interpolation=cv2.INTER_AREA)
    blocky = cv2.resize((small > 0.42).astype(np.float32), (w, h), interpolation=cv2.INTER_NEAREST)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    threads = 0.5 + 0.5 * np.cos(2 * math.pi * xx / cell) * np.cos(2 * math.pi * yy / (cell * 0.5))
    threads = cv2.GaussianBlur(threads.astype(np.float32), (0, 0), 0.6)
    jitter = np_rng.normal(0, 0.04, (h, w)).astype(np.float32)
    return blocky, threads + jitter


def _crease(rng: random.Random, label: np.ndarray) -> np.ndarray:
    """A fold across the label: a strip hidden under it, light on one side of the line, shadow on the other."""
    h, w = label.shape[:2]
    horizontal = rng.random() < 0.6
    out = label.copy()
    if horizontal:
        at, hide = rng.randint(h // 5, 4 * h // 5), rng.randint(1, 5)
        out[at : h - hide] = label[at + hide :]
        out[h - hide :] = label[h - 1 :]
        coord = np.arange(h, dtype=np.float32)[:, None] - at
    else:
        at, hide = rng.randint(w // 5, 4 * w // 5), rng.randint(1, 5)
        out[:, at : w - hide] = label[:, at + hide :]
        out[:, w - hide :] = label[:, w - 1 :]
        coord = np.arange(w, dtype=np.float32)[None, :] - at
    width = rng.uniform(3, 12)
    depth = rng.uniform(25, 70)
    shade = -depth * np.exp(-((coord - width / 2) ** 2) / (2 * width**2)) + 0.6 * depth * np.exp(
        -((coord + width / 2) ** 2) / (2 * width**2)
    )
    return out + shade[..., None]


def render_label(
    rng: random.Random, np_rng: np.random.Generator, distance: str = "near", faint: bool = False
) -> tuple[np.ndarray, list[str], list, dict]:
    parts = composition(rng)
    lines, style = label_lines(rng, parts)
    material = "pale" if faint else rng.choices(("satin", "woven", "pale"), (0.34, 0.33, 0.33))[0]
    size = rng.randint(22, 40) if material == "woven" else rng.randint(17, 36)
    mask = _text_mask(rng, lines, size)
    h, w = mask.shape
    dark_label = material != "pale" and rng.random() < 0.25
    ground = np.array(
        [rng.uniform(20, 70)] * 3
        if dark_label
        else [rng.uniform(205, 250) - rng.uniform(0, 25) * (c == 0) for c in range(3)],
        np.float32,
    )
    ink = np.array(
        [rng.uniform(215, 245)] * 3 if dark_label else [rng.uniform(10, 70), rng.uniform(10, 50), rng.uniform(10, 50)],
        np.float32,
    )
    if material == "woven":
        cell = max(2, round(size / rng.uniform(8, 13)))  # a thread pitch of a tenth of the letter height or so
        mask, threads = _woven(np_rng, mask, cell)
        label = ground * (1 - mask[..., None]) + ink * mask[..., None]
        label = label * (0.82 + 0.3 * threads[..., None])
    else:
        if material == "pale":
            keep = rng.uniform(*FAINT_CONTRAST) if faint else rng.uniform(*PALE_CONTRAST)
            mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.4, 1.0)) * keep
            mask *= 1 - 0.35 * np.clip(np_rng.normal(0, 1, mask.shape).astype(np.float32), 0, 1) * rng.random()
        label = ground * (1 - mask[..., None]) + ink * mask[..., None]
        label = label + np_rng.normal(0, 1.5, (h, w, 1)).astype(np.float32)
    crease = rng.random() < 0.35
    if crease:
        label = _crease(rng, label)
    upside_down = rng.random() < 0.2
    look = {"material": material, "crease": "yes" if crease else "no", "upside_down": "yes" if upside_down else "no"}
    if distance != "near":
        look["distance"] = distance
    if faint:
        look["faint"] = "yes"
    frame = _place(rng, np_rng, np.clip(label, 0, 255), upside_down, size, distance)
    if frame is None:  # too long a label to show its letters at a fair size: draw another
        return render_label(rng, np_rng, distance, faint)
    return frame, lines, parts, {**style, **look}


def _place(
    rng: random.Random, np_rng: np.random.Generator, label: np.ndarray, turned: bool, size: int, distance: str
) -> np.ndarray | None:
    h, w = label.shape[:2]
    scale = min(rng.uniform(*SCALES[distance]), 600 / w, 440 / h)
    angle = rng.uniform(-15, 15) + (180 if turned else 0)
    centre = (rng.uniform(0.45, 0.55) * WIDTH, rng.uniform(0.45, 0.55) * HEIGHT)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    matrix[:, 2] += np.array(centre) - np.array([w / 2, h / 2])
    corners = cv2.transform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), matrix)[0]
    fit = min(1.0, 0.97 * WIDTH / (np.ptp(corners[:, 0]) + 1), 0.97 * HEIGHT / (np.ptp(corners[:, 1]) + 1))
    if size * scale * fit < (MIN_TEXT_FAR if distance == "far" else MIN_TEXT):
        return None
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale * fit)
    matrix[:, 2] += np.array(centre) - np.array([w / 2, h / 2])
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = (
        cv2.transform(src[None], matrix)[0]
        + np_rng.uniform(-0.03, 0.03, (4, 2)).astype(np.float32) * [w, h] * scale * fit
    )
    homography = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    cloth = np.full((HEIGHT, WIDTH, 3), [rng.uniform(30, 220) for _ in range(3)], np.float32)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    cloth += (8 * np.sin(xx / rng.uniform(1.5, 3)) * np.sin(yy / rng.uniform(1.5, 3)))[..., None]
    warped = cv2.warpPerspective(label, homography, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    inside = cv2.warpPerspective(np.ones((h, w), np.float32), homography, (WIDTH, HEIGHT))[..., None]
    frame = cloth * (1 - inside) + warped * inside
    light = 1 + rng.uniform(-0.25, 0.2) + ((xx - WIDTH / 2) / WIDTH * rng.uniform(-0.3, 0.3))[..., None]
    frame = cv2.GaussianBlur(frame * light, (0, 0), rng.uniform(0.3, 1.1))
    frame += np_rng.normal(0, rng.uniform(1, 4), frame.shape).astype(np.float32)
    return np.clip(frame, 0, 255).astype(np.uint8)


def render(out: Path, items: int, seed: int = DEFAULT_SEED, distance: str = "near", faint: bool = False) -> int:
    if out.exists():
        shutil.rmtree(out)
    for i in range(items):
        rng = random.Random(seed * 100_003 + i)
        np_rng = np.random.default_rng([seed, i])
        frame, lines, parts, style = render_label(rng, np_rng, distance, faint)
        main = parts[0]
        label = max(main.fibres, key=lambda f: f.percent).fibre
        capture_id = f"tune-{i:04d}"
        image_path, meta_path = sample_paths(out, "textile", label, capture_id)
        image_path.parent.mkdir(parents=True, exist_ok=True)
        ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(75, 92)])
        if not ok:
            raise RuntimeError(f"JPEG encoding failed for {capture_id}")
        image_path.write_bytes(encoded.tobytes())
        text = " ".join(f"{k}={v}" for k, v in sorted(style.items()))
        truth = MarkingTruth(text="\n".join(lines), composition=tuple(parts), style=text)
        meta = CaptureMeta(capture_id=capture_id, stream="textile", label=label, truth=truth)
        meta_path.write_text(meta.model_dump_json(indent=1, exclude_none=True) + "\n", encoding="utf-8")
    return items


GROUPS = (
    ("all", lambda s: True),
    ("satin", lambda s: s["material"] == "satin"),
    ("woven", lambda s: s["material"] == "woven"),
    ("pale", lambda s: s["material"] == "pale"),
    ("creased", lambda s: s["crease"] == "yes"),
    ("upside down", lambda s: s["upside_down"] == "yes"),
    ("with a lining", lambda s: s["parts"] != "1"),
    ("several languages", lambda s: s["languages"] != "1"),
    ("one block per language", lambda s: s["per_language"] == "yes"),
    ("qualifiers", lambda s: s["qualifier"] == "yes"),
    ("fibre first", lambda s: s["fibre_first"] == "yes"),
)


def report(text: str) -> None:
    print(text)  # noqa: T201 -- a tuning report on the terminal


def read(out: Path, every: int, show: bool, looks: str | None = None) -> None:
    from edge.vision.dataset import iter_samples
    from edge.vision.marking_eval import composition_key
    from edge.vision.markings.fibres import composition_readable, read_composition
    from edge.vision.ocr import MarkingOcr
    from edge.vision.second_look import LABEL_LOOKS, SecondLook

    chosen = LABEL_LOOKS if looks is None else tuple(SecondLook(name) for name in looks.split(",") if name)
    ocr = MarkingOcr()
    rows: list[tuple[dict[str, str], bool, bool]] = []
    for n, sample in enumerate(sorted(iter_samples(out), key=lambda s: s.meta.capture_id)):
        if n % every:
            continue
        truth = sample.meta.truth
        assert truth is not None and truth.composition is not None
        frame = cv2.imread(str(sample.image))
        lines = [line.text for line in ocr.read(frame, composition_readable, chosen)]
        got = read_composition(lines)
        want = composition_key(truth.composition)
        key = composition_key(got.parts) if got else None
        style = dict(word.split("=", 1) for word in (truth.style or "").split())
        rows.append((style, key is not None, key == want))
        if show and key != want:
            verdict = "WRONG" if key else "miss "
            report(f"{verdict} {sample.meta.capture_id} {truth.style}\n  want {want}\n  got  {key}")
            report("  ocr  " + " | ".join(lines))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for style, answered, right in rows:
        for name, keep in GROUPS:
            if keep(style):
                c = counts[name]
                c[0] += 1
                c[1] += answered
                c[2] += right
    for name, _ in GROUPS:
        items, answered, right = counts[name]
        if items:
            report(f"{name:24s} {items:4d}  coverage {100 * answered / items:5.1f}%  wrong {answered - right}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--items", type=int, default=150)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--far", action="store_true", help="every label seen from farther off (smaller letters)")
    parser.add_argument("--faint", action="store_true", help="every label printed pale and washed out to 6-16 %%")
    parser.add_argument("--read", action="store_true", help="read the set with the current reader; figures per style")
    parser.add_argument("--every", type=int, default=1, help="read every Nth label only")
    parser.add_argument("--show", action="store_true", help="print each label not read right (tuning data only)")
    parser.add_argument("--no-render", action="store_true", help="read the set already in --out")
    parser.add_argument(
        "--looks", help="the second looks to read with, comma-separated (default: the station's; '' for none)"
    )
    args = parser.parse_args()
    if not args.no_render:
        render(args.out, args.items, args.seed, "far" if args.far else "near", args.faint)
    if args.read:
        read(args.out, args.every, args.show, args.looks)


if __name__ == "__main__":
    main()
