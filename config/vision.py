"""The vision module's settings: the station's ``[vision]`` section and the models it holds.

Pydantic models only, so that loading a station's config imports neither OpenCV, OCR nor onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

# The textile grades (edge/vision/textile/grading.py says what each means).
Grade = Literal["creme", "export", "recycling", "wipers", "residual"]


# One item in twenty: enough blind items for a per-model accuracy within days at a busy site, few enough that
# sorters still get a suggestion on almost every item.
DEFAULT_BLIND_SHARE = 0.05


class CaptureConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        False,
        title="Consent",
        description="the site agreed to keep photos of sorted items for learning; off: nothing is written",
    )
    folder: Path | None = Field(
        None, description="root of the labelled-image folder (layout of edge.vision.dataset); required when enabled"
    )
    plate_roi: tuple[int, int, int, int] | None = Field(
        None,
        description="x, y, w, h in pixels of the scale plate; only this crop is kept, which keeps faces out; "
        "required when enabled",
    )
    max_items: int = Field(20_000, ge=1, description="samples kept at most; the oldest go first")
    max_bytes: int = Field(2 * 1024**3, ge=1, description="bytes kept at most (images and sidecars)")
    max_age_days: float = Field(180.0, gt=0, description="samples older than this are deleted")
    jpeg_quality: int = Field(90, ge=1, le=100, description="JPEG quality of the stored crops")

    @model_validator(mode="after")
    def _required_when_enabled(self) -> Self:
        if self.enabled and self.folder is None:
            raise ValueError("capture.folder is required when capture is enabled")
        if self.enabled and self.plate_roi is None:
            raise ValueError("capture.plate_roi is required when capture is enabled (the crop keeps faces out)")
        if self.plate_roi is not None:
            x, y, w, h = self.plate_roi
            if x < 0 or y < 0 or w <= 0 or h <= 0:
                raise ValueError(f"capture.plate_roi must be x, y >= 0 and w, h > 0, got {self.plate_roi}")
        return self


class MatColour(BaseModel):
    """The colour of the scale mat, measured once at the station (``sortcentre`` reads it from the station config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bgr: tuple[int, int, int] = Field(
        title="Mat colour", description="the mat's colour as blue, green, red (0-255) under the station's light"
    )
    tolerance: float = Field(
        18.0,
        gt=0,
        le=100,
        title="Colour tolerance",
        description="Lab distance (ΔE) within which a pixel counts as mat; raise it for uneven light, lower it for "
        "garments close to the mat colour",
    )
    lightness_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        title="Lightness weight",
        description="weight of lightness in that distance: shadows and uneven light change lightness more than hue",
    )


class GradeLabels(BaseModel):
    """The station's category id for each grade."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    creme: str = Field("creme", description="category id of crème: reuse in the shop here")
    export: str = Field("export", description="category id of export reuse")
    recycling: str = Field("recycling", description="category id of fibre-to-fibre recycling")
    wipers: str = Field("wipers", description="category id of wipers (poetslappen)")
    residual: str = Field("residual", description="category id of residual waste")

    def of(self, grade: Grade) -> str:
        return str(getattr(self, grade))


class GradingRules(BaseModel):
    """Thresholds of the textile grading rules; defaults suit a Dutch kringloop, each site may set its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field("textile-rules-1", description="reported as the suggestion's model_version")
    labels: GradeLabels = Field(default_factory=GradeLabels, description="station category id of each grade")
    creme_max_holes: int = Field(0, ge=0, description="crème: at most this many holes")
    creme_max_stain_share: float = Field(0.002, ge=0, le=1, description="crème: stained share of the cloth, at most")
    creme_max_pilling: float = Field(
        0.7, ge=0, le=1, description="crème: pilling score at most (lenient: a weak cue, AUC about 0.66 on real cloth)"
    )
    creme_max_fading: float = Field(0.4, ge=0, le=1, description="crème: fading score at most")
    export_max_holes: int = Field(1, ge=0, description="export: at most this many (small) holes")
    export_max_hole_share: float = Field(
        0.003, ge=0, le=1, description="export: hole area share of the garment, at most"
    )
    export_max_stain_share: float = Field(0.01, ge=0, le=1, description="export: stained share of the cloth, at most")
    shredded_hole_share: float = Field(
        0.10, gt=0, le=1, description="hole area share from which a garment counts as shredded (never wearable)"
    )
    elastic_fibres: tuple[str, ...] = Field(
        ("elastane", "elastodiene", "elastomultiester"), description="fibre names that count as elastic"
    )
    max_elastane_percent: int = Field(
        5, ge=0, le=100, description="damaged: more elastic fibre than this -> elastane_grade"
    )
    elastane_grade: Grade = Field("residual", description="grade of damaged garments with too much elastic fibre")
    absorbent_fibres: tuple[str, ...] = Field(
        ("cotton", "linen", "viscose", "hemp"), description="fibre names that make absorbent wipers"
    )
    wipers_min_absorbent_percent: int = Field(90, ge=0, le=100, description="wipers: absorbent fibres at least")
    wipers_max_elastane_percent: int = Field(2, ge=0, le=100, description="wipers: elastic fibre at most")
    recyclable_mono_fibres: tuple[str, ...] = Field(
        ("cotton", "polyester"), description="fibres that fibre-to-fibre recyclers take as mono-material"
    )
    mono_min_percent: int = Field(
        95, ge=50, le=100, description="share of one fibre that makes a garment mono-material"
    )
    blend_grade: Grade = Field("recycling", description="grade of damaged blends that no other rule took")
    grade_without_label: bool = Field(
        True, description="suggest crème/export from condition alone when no care label was read"
    )
    without_label_factor: float = Field(
        0.75, gt=0, le=1, description="confidence factor for suggestions made without a care label"
    )
    shredded_without_label_grade: Grade | None = Field(
        "residual", description="grade of a shredded garment without a care label (none: no suggestion)"
    )
    max_confidence: float = Field(0.8, gt=0, le=1, description="confidence of a grade far from every threshold")
    min_confidence: float = Field(0.35, ge=0, le=1, description="below this, no suggestion (candidates still listed)")


# -- lights -------------------------------------------------------------------------------------------------------
# Enough for a MOSFET-switched LED strip to reach full light and for a camera at 30 fps to start a whole new exposure
# under it (two frame periods); raise it for a camera with slow auto exposure.
DEFAULT_SETTLE_MS = 70.0
MIN_LIGHTS = 2  # one side light shows relief on one axis only; two at 90-120° apart show every stroke
MAX_LIGHTS = 4  # more frames would outlast the time the weight takes to settle
MAX_BCM_PIN = 27  # the Raspberry Pi's 40-pin header carries BCM 0-27


class LightConfig(BaseModel):
    """One low-angle light over the scale plate, switched by a GPIO pin (docs/hardware.md, "Lights")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pin: int = Field(ge=0, le=MAX_BCM_PIN, description="BCM number of the GPIO pin that switches this light on")
    azimuth_deg: float = Field(
        ge=0,
        lt=360,
        title="Azimuth",
        description="where the light shines from, as seen in the camera's image: 0 top, 90 right, 180 bottom, "
        "270 left (degrees, clockwise)",
    )
    settle_ms: float = Field(
        DEFAULT_SETTLE_MS,
        ge=0,
        le=1000,
        description="after switching the light on, wait this long before the frame is taken (the LED driver and "
        "one whole camera exposure)",
    )


class _LightsBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    leds: tuple[LightConfig, ...] = Field(
        (),
        description=f"the lights, {MIN_LIGHTS} to {MAX_LIGHTS}, ideally 90-120° apart; empty: no lights, one "
        "ambient frame per item",
    )

    @model_validator(mode="after")
    def _count_and_pins(self) -> Self:
        if self.leds and not MIN_LIGHTS <= len(self.leds) <= MAX_LIGHTS:
            raise ValueError(f"vision.lights takes {MIN_LIGHTS} to {MAX_LIGHTS} lights (or none), not {len(self.leds)}")
        pins = [light.pin for light in self.leds]
        repeated = sorted({pin for pin in pins if pins.count(pin) > 1})
        if repeated:
            raise ValueError(f"vision.lights: GPIO pin(s) {repeated} used by more than one light")
        return self


class GpioLightsConfig(_LightsBase):
    """Lights switched by the Raspberry Pi's GPIO pins, through gpiozero (a MOSFET or transistor per light)."""

    driver: Literal["gpio"] = Field("gpio", description="lights backend: the Pi's GPIO header (gpiozero)")


class SimulatedLightsConfig(_LightsBase):
    """Lights on gpiozero's simulated pins (MockFactory), for a laptop: the simulated camera renders each light."""

    driver: Literal["simulated"] = Field(description="lights backend: gpiozero's simulated pins, no hardware")


def _lights_driver(section: Any) -> Any:
    """The ``driver`` of a lights section (a TOML table or a model); "gpio" when the file leaves it out."""
    if isinstance(section, dict):
        return section.get("driver", "gpio")
    return getattr(section, "driver", None)


LightsConfig = Annotated[
    Annotated[GpioLightsConfig, Tag("gpio")] | Annotated[SimulatedLightsConfig, Tag("simulated")],
    Discriminator(_lights_driver),
]
LIGHT_DRIVERS = ("gpio", "simulated")


class VisionConfig(BaseModel):
    """The station's ``[vision]`` section."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="suggest a category for each item (off: the sorter always chooses)")
    read_markings: bool = Field(True, description="read plastic markings and care labels with OCR")
    classifier: Path | None = Field(
        None, description="a model trained by `sortcentre vision train` (with its .card.json beside it)"
    )
    thresholds: dict[str, float] = Field(
        default_factory=lambda: {"plastic": 0.9, "textile": 0.5},
        description="per stream: suggestions less confident than this are not shown",
    )
    default_threshold: float = Field(0.9, ge=0, le=1, description="threshold for streams not in `thresholds`")
    polymers: dict[str, str] = Field(
        default_factory=dict,
        description='polymer read -> category id where they differ (e.g. pc-abs = "residual"); default: same id',
    )
    mat: MatColour | None = Field(None, description="textile stations: the scale mat's colour, for condition cues")
    grading: GradingRules = Field(default_factory=GradingRules, description="textile grade rules of this site")
    capture: CaptureConfig = Field(default_factory=CaptureConfig, description="keep frames to train the next model")
    blind_share: float = Field(
        DEFAULT_BLIND_SHARE,
        ge=0,
        le=0.5,
        title="Blind-check share",
        description="share of items whose suggestion is computed and sent but not shown (chosen at random per "
        "item), so the sorter chooses unprompted and the hub measures accuracy free of the bias to accept what "
        "is shown; 0: always show",
    )
    threads: int = Field(2, ge=1, le=8, description="CPU threads for inference")
    triangle_finder: bool = Field(
        False,
        description="look for recycling triangles with the trained finder (edge/vision/weights/triangle-finder.onnx) "
        'besides the edge-rule scan (docs/vision.md, "A trained triangle finder"); off: the scan alone',
    )
    lights: LightsConfig = Field(
        default_factory=GpioLightsConfig,
        description="low-angle lights switched one at a time while the weight settles, so moulded markings show "
        'their relief (docs/vision.md, "Lighting"); no `leds`: one ambient frame per item, as without lights',
    )
