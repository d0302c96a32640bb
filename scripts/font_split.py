"""Which fonts rendered vision data may use: one set to tune on, another, disjoint, to report on.

A figure measured on data the reader was tuned on does not predict the field. So every renderer in the project
draws from one of two font sets, and the two never meet (``tests/unit/scripts/test_font_split.py`` checks it):

* ``TUNING_FONTS``: Debian's DejaVu and Liberation. The committed evaluation set
  (``scripts/render_vision_evalset.py``), its second seed, and anything the reader is trained or tuned on (thresholds,
  rules, recognisers) use these only.
* ``HELD_OUT_FONTS``: FreeFont, URW base35 and Noto. Only the held-apart test set uses them; nothing is tuned on it.

The triangle reader's training renderer also draws digits in OpenCV's own Hershey stroke fonts (``cv2.putText``,
``render_triangle_training.varied_digit``): a third family, in neither set, that only tuning and training use.

``scripts/bootstrap.sh`` installs all five packages (fonts-dejavu-core, fonts-liberation, fonts-freefont-ttf,
fonts-urw-base35, fonts-noto-core).
"""

from __future__ import annotations

from pathlib import Path

FONT_ROOT = Path("/usr/share/fonts")

# Font file -> the Debian package that ships it, by folder under FONT_ROOT.
TUNING_FONTS: dict[str, tuple[str, ...]] = {
    "truetype/dejavu": (
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSerif.ttf",
        "DejaVuSerif-Bold.ttf",
        "DejaVuSansMono.ttf",
        "DejaVuSansMono-Bold.ttf",
        "DejaVuSansCondensed.ttf",
        "DejaVuSansCondensed-Bold.ttf",
    ),
    "truetype/liberation": (
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
        "LiberationSerif-Regular.ttf",
        "LiberationSerif-Bold.ttf",
        "LiberationMono-Regular.ttf",
        "LiberationMono-Bold.ttf",
        "LiberationSansNarrow-Regular.ttf",
        "LiberationSansNarrow-Bold.ttf",
    ),
}
HELD_OUT_FONTS: dict[str, tuple[str, ...]] = {
    "truetype/freefont": (
        "FreeSans.ttf",
        "FreeSansBold.ttf",
        "FreeSerif.ttf",
        "FreeSerifBold.ttf",
        "FreeMono.ttf",
        "FreeMonoBold.ttf",
    ),
    "opentype/urw-base35": (
        "NimbusSans-Regular.otf",
        "NimbusSans-Bold.otf",
        "NimbusSansNarrow-Regular.otf",
        "NimbusSansNarrow-Bold.otf",
        "NimbusRoman-Regular.otf",
        "NimbusRoman-Bold.otf",
        "NimbusMonoPS-Regular.otf",
        "NimbusMonoPS-Bold.otf",
        "URWGothic-Book.otf",
        "URWGothic-Demi.otf",
        "C059-Roman.otf",
        "P052-Bold.otf",
        "URWBookman-Light.otf",
    ),
    "truetype/noto": (
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSerif-Regular.ttf",
        "NotoSerif-Bold.ttf",
    ),
}
PACKAGES = {
    "truetype/dejavu": "fonts-dejavu-core",
    "truetype/liberation": "fonts-liberation",
    "truetype/freefont": "fonts-freefont-ttf",
    "opentype/urw-base35": "fonts-urw-base35",
    "truetype/noto": "fonts-noto-core",
}


def font_paths(fonts: dict[str, tuple[str, ...]]) -> list[Path]:
    """The files of one set, each checked to exist: a missing one names the Debian package to install."""
    paths = []
    for folder, names in fonts.items():
        for name in names:
            path = FONT_ROOT / folder / name
            if not path.is_file():
                msg = f"font {path} not found: install {PACKAGES[folder]} (make setup does)"
                raise FileNotFoundError(msg)
            paths.append(path)
    return paths
