"""Condition cues of a garment lying on the scale mat, measured with OpenCV (no model, nothing downloaded).

The mat is one uniform colour (:class:`MatColour`, from the station config), so whatever is not mat colour is the
garment. All work happens on a copy scaled so that its longer side is at most ``WORK_MAX_SIDE`` pixels, which keeps a
frame under a few tens of milliseconds on a Pi and makes the pixel constants below independent of the camera.

| cue | measured as | known weakness |
|---|---|---|
| ``garment_found`` | the largest non-mat region covers >= 2% of the frame (or ROI) | a garment in the mat colour |
| ``holes`` | mat-coloured regions fully enclosed by the outline, each >= 0.05% of it | (1) |
| ``hole_area_share`` | those holes' area / area inside the outline | (1) |
| ``stain_area_share`` | blobs > 20 ΔE from every dominant garment colour, not just paler (2); / cloth area | (3) |
| ``pilling`` | density of small isolated blobs in a band-pass of lightness, 0..1 | (4) |
| ``fading`` | share of cloth clearly greyer than its own vivid parts, not darker (5); 30% reads as 1.0 | (6) |

(1) A tear open to the garment's edge is not enclosed, so not counted; a fold that encloses mat reads as a hole.
(2) Colours are smoothed past the weave first; dominant colours are the clusters (k-means, k=4) holding >= 12% of the
cloth, so stripes and prints are not stains. A lighter, greyer version of a dominant colour is fading, not a stain.
(3) A stain larger than about a tenth of the garment reads as a pattern colour; a dark stain on black is invisible.
(4) Weak: texture energy separated pilled from clean cloth with AUC about 0.66 in earlier notes; prints and coarse
knits look like pills. On rendered cloth it separates far better, which says more about the rendering than the cue.
(5) Greyer: chroma < 60% of the garment's 90th-percentile chroma. Dark or mid-grey neutral garments: lighter than
their darkest parts by 18 L.
(6) A print with white or grey areas on coloured cloth reads as faded; light neutral garments never show fading.

Every cue is a fraction or a count, so site rules (:mod:`edge.vision.textile.grading`) can be set once for any camera.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from config.vision import MatColour

logger = logging.getLogger(__name__)

FloatImage = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]

# A frame is scaled down to this longer side first: enough for holes and stains of a centimetre on a 60 cm plate,
# and cheap on a Pi. Pixel constants below are at this scale.
WORK_MAX_SIDE = 640
# Anything smaller than this share of the frame is dust, a hand or a label lying on the mat, not a garment.
MIN_GARMENT_SHARE = 0.02
# A hole must cover this share of the outline and at least this many pixels: single mat-coloured pixels between
# threads of an open weave are not holes.
MIN_HOLE_SHARE = 0.0005
MIN_HOLE_PX = 12
# Smoothing before colour work: removes the weave (period of a few pixels) but keeps centimetre-sized stains.
COLOUR_SMOOTHING_SIGMA = 2.5
# Cloth this close to the outline or to a hole is skipped for colour and texture: blur and shadow mix mat colour in.
EDGE_MARGIN_PX = 7
# Up to this many colour clusters describe a garment; a cluster holding at least this share is a dominant colour
# (a stripe, a print's ground), smaller ones may be stains.
COLOUR_CLUSTERS = 4
DOMINANT_SHARE = 0.12
KMEANS_SAMPLE = 4000
KMEANS_ROUNDS = 12
# Lab distance from every dominant colour that makes a stain: 20 is well past the shading of a crumpled garment
# (about 8-12 on rendered cloth) and below the usual coffee, grease or ink mark (30 and up).
STAIN_DELTA_E = 20.0
MIN_STAIN_PX = 12
# Fading: greyer than this share of the garment's vivid chroma, counted only for garments that are colourful at all.
FADE_CHROMA_RATIO = 0.6
MIN_COLOURFUL_CHROMA = 15.0
# Dark and mid neutral garments (black, charcoal, mid-grey) fade lighter: lighter than their darkest parts by this much.
DARK_NEUTRAL_L = 60.0
FADE_LIGHTNESS_DELTA = 18.0
# Share of the cloth that is faded at which the score reaches 1.0.
FADE_FULL_SHARE = 0.3
# Pilling: difference of Gaussians tuned to pills of 2-6 px across at working scale.
PILL_SIGMA_FINE = 1.0
PILL_SIGMA_COARSE = 2.5
# A pill stands out from the weave: at least this many lightness units, and this many robust deviations.
PILL_MIN_CONTRAST = 4.0
PILL_MIN_SIGMAS = 4.0
PILL_MAX_AREA_PX = 60
PILL_MAX_EXTENT_PX = 9
# Pills per 10,000 cloth pixels that give a score of 1 - 1/e (about 0.63).
PILL_DENSITY_SCALE = 4.0


@dataclass(frozen=True, slots=True)
class Roi:
    """A region of the frame in pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class ConditionCues:
    garment_area_px: int  # inside the garment outline (holes included), in pixels of the frame or ROI given
    holes: int  # mat-coloured regions enclosed by the garment outline, above a minimum area
    hole_area_share: float  # holes' area / area inside the outline
    stain_area_share: float  # stain blobs' area / cloth area (holes excluded)
    pilling: float  # 0..1; weak cue (see module docstring)
    fading: float  # 0..1
    garment_found: bool

    def describe(self) -> str:
        """Short text for evidence lines and logs."""
        if not self.garment_found:
            return "no garment found"
        return (
            f"holes {self.holes} ({100 * self.hole_area_share:.1f}%), stain {100 * self.stain_area_share:.1f}%, "
            f"pilling {self.pilling:.2f}, fading {self.fading:.2f}"
        )


NO_GARMENT = ConditionCues(
    garment_area_px=0,
    holes=0,
    hole_area_share=0.0,
    stain_area_share=0.0,
    pilling=0.0,
    fading=0.0,
    garment_found=False,
)


def measure_condition(frame_bgr: npt.NDArray[np.uint8], mat: MatColour, roi: Roi | None = None) -> ConditionCues:
    """Measure the condition cues of the garment in ``frame_bgr`` (BGR uint8), optionally within ``roi``.

    Raises ValueError for a frame that is not a 3-channel image or a ROI that leaves nothing of it."""
    if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
        raise ValueError(f"expected a BGR frame, got shape {frame_bgr.shape}")
    image = _crop(frame_bgr, roi)
    height, width = image.shape[:2]
    scale = min(1.0, WORK_MAX_SIDE / max(height, width))
    if scale < 1.0:
        image = np.asarray(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    lab = _to_lab(image)

    is_mat = _mat_mask(lab, mat)
    outline = _garment_outline(~is_mat)
    outline_area = int(outline.sum())
    if outline_area < MIN_GARMENT_SHARE * is_mat.size:
        return NO_GARMENT

    enclosed_mat = outline & is_mat
    holes, hole_area = _holes(enclosed_mat, outline_area)
    cloth = outline & ~is_mat
    cloth_area = max(int(cloth.sum()), 1)
    margin = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * EDGE_MARGIN_PX + 1, 2 * EDGE_MARGIN_PX + 1))
    near_mat = cv2.dilate((~cloth).astype(np.uint8), margin).astype(bool)
    core = cloth & ~near_mat

    stain_share = 0.0
    fading = 0.0
    pilling = 0.0
    if core.sum() >= MIN_HOLE_PX * 10:
        smooth = np.asarray(cv2.GaussianBlur(lab, (0, 0), COLOUR_SMOOTHING_SIGMA), dtype=np.float32)
        stain = _stain_mask(smooth, core)
        stain_share = float(stain.sum()) / cloth_area
        fading = _fading(smooth, core & ~stain)
        pilling = _pilling(lab[..., 0], core & ~stain)

    return ConditionCues(
        garment_area_px=round(outline_area / (scale * scale)),
        holes=holes,
        hole_area_share=hole_area / outline_area,
        stain_area_share=stain_share,
        pilling=pilling,
        fading=fading,
        garment_found=True,
    )


def _crop(frame: npt.NDArray[np.uint8], roi: Roi | None) -> npt.NDArray[np.uint8]:
    if roi is None:
        return frame
    height, width = frame.shape[:2]
    x0, y0 = max(roi.x, 0), max(roi.y, 0)
    x1, y1 = min(roi.x + roi.w, width), min(roi.y + roi.h, height)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"ROI {roi} leaves nothing of a {width}x{height} frame")
    return frame[y0:y1, x0:x1]


def _to_lab(image: npt.NDArray[np.uint8]) -> FloatImage:
    # Float input gives L in 0..100 and a, b in about -127..127, so distances are ΔE (CIE76).
    return np.asarray(cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab), dtype=np.float32)


def _bgr_to_lab(bgr: tuple[int, int, int]) -> FloatImage:
    return np.asarray(_to_lab(np.array([[bgr]], dtype=np.uint8))[0, 0], dtype=np.float32)


def _mat_mask(lab: FloatImage, mat: MatColour) -> Mask:
    # A light blur first, so that the weave of a garment close to the mat colour does not dissolve into mat pixels.
    blurred = cv2.GaussianBlur(lab, (0, 0), 1.0)
    diff = blurred - _bgr_to_lab(mat.bgr)
    diff[..., 0] *= mat.lightness_weight
    distance = np.sqrt((diff * diff).sum(axis=2))
    is_mat = (distance < mat.tolerance).astype(np.uint8)
    # Opening removes isolated mat-like specks inside cloth; closing removes dust and threads lying on the mat.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    is_mat = cv2.morphologyEx(is_mat, cv2.MORPH_OPEN, kernel)
    is_mat = cv2.morphologyEx(is_mat, cv2.MORPH_CLOSE, kernel)
    return is_mat.astype(bool)


def _garment_outline(not_mat: Mask) -> Mask:
    contours, _ = cv2.findContours(not_mat.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = np.zeros(not_mat.shape, dtype=np.uint8)
    if contours:
        largest = max(contours, key=cv2.contourArea)
        cv2.drawContours(outline, [largest], -1, 1, thickness=cv2.FILLED)
    return outline.astype(bool)


def _holes(enclosed_mat: Mask, outline_area: int) -> tuple[int, int]:
    count, _, stats, _ = cv2.connectedComponentsWithStats(enclosed_mat.astype(np.uint8), connectivity=8)
    areas = stats[1:count, cv2.CC_STAT_AREA]
    big = areas[areas >= max(MIN_HOLE_PX, MIN_HOLE_SHARE * outline_area)]
    return len(big), int(big.sum())


def _dominant_colours(pixels: FloatImage) -> FloatImage:
    """Colours that cover at least DOMINANT_SHARE of ``pixels`` (N x 3 Lab), by a small deterministic k-means."""
    step = max(1, len(pixels) // KMEANS_SAMPLE)
    sample = pixels[::step]
    # Farthest-point start from the median: deterministic, and a small stain cluster still gets a centre of its own
    # instead of pulling a dominant centre towards it.
    centres = [np.median(sample, axis=0)]
    for _ in range(COLOUR_CLUSTERS - 1):
        nearest = np.min([np.linalg.norm(sample - c, axis=1) for c in centres], axis=0)
        centres.append(sample[int(np.argmax(nearest))])
    centre_array = np.asarray(centres, dtype=np.float32)
    assignment = np.zeros(len(sample), dtype=np.intp)
    for _ in range(KMEANS_ROUNDS):
        distances = np.linalg.norm(sample[:, None, :] - centre_array[None, :, :], axis=2)
        assignment = np.argmin(distances, axis=1)
        for k in range(len(centre_array)):
            members = sample[assignment == k]
            if len(members):
                centre_array[k] = members.mean(axis=0)
    shares = np.bincount(assignment, minlength=len(centre_array)) / len(sample)
    dominant = centre_array[shares >= DOMINANT_SHARE]
    # With four clusters at least one holds a quarter, so this is never empty; keep the guard for mypy's sake.
    return dominant if len(dominant) else centre_array[[int(np.argmax(shares))]]


def _stain_mask(smooth: FloatImage, core: Mask) -> Mask:
    pixels = smooth[core]
    dominant = _dominant_colours(pixels)
    distances = np.linalg.norm(pixels[:, None, :] - dominant[None, :, :], axis=2)
    nearest = np.argmin(distances, axis=1)
    far = distances[np.arange(len(pixels)), nearest] > STAIN_DELTA_E
    reference = dominant[nearest]
    chroma = np.hypot(pixels[:, 1], pixels[:, 2])
    reference_chroma = np.hypot(reference[:, 1], reference[:, 2])
    # A lighter, greyer version of the garment's own colour is fading (sun, bleach, wear), not a stain.
    faded_like = (pixels[:, 0] >= reference[:, 0] - 2.0) & (chroma <= reference_chroma * 0.9 + 2.0)
    candidate = np.zeros(core.shape, dtype=np.uint8)
    candidate[core] = (far & ~faded_like).astype(np.uint8)
    opened = cv2.morphologyEx(candidate, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_STAIN_PX
    return np.asarray(keep[labels], dtype=bool)


def _fading(smooth: FloatImage, region: Mask) -> float:
    if region.sum() == 0:
        return 0.0
    lightness = smooth[..., 0][region]
    chroma = np.hypot(smooth[..., 1][region], smooth[..., 2][region])
    vivid = float(np.percentile(chroma, 90))
    if vivid >= MIN_COLOURFUL_CHROMA:
        vivid_lightness = float(np.median(lightness[chroma >= 0.8 * vivid]))
        faded = (chroma < FADE_CHROMA_RATIO * vivid) & (lightness >= vivid_lightness - 3.0)
    else:
        darkest = float(np.percentile(lightness, 10))
        if darkest >= DARK_NEUTRAL_L:
            return 0.0  # white, beige, light grey: fading does not show on a camera
        faded = lightness > darkest + FADE_LIGHTNESS_DELTA
    return min(1.0, float(faded.mean()) / FADE_FULL_SHARE)


def _pilling(lightness: FloatImage, region: Mask) -> float:
    area = int(region.sum())
    if area == 0:
        return 0.0
    band = cv2.GaussianBlur(lightness, (0, 0), PILL_SIGMA_FINE) - cv2.GaussianBlur(lightness, (0, 0), PILL_SIGMA_COARSE)
    values = band[region]
    spread = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    threshold = max(PILL_MIN_CONTRAST, PILL_MIN_SIGMAS * spread)
    blobs = (np.abs(band) > threshold) & region
    count, _, stats, _ = cv2.connectedComponentsWithStats(blobs.astype(np.uint8), connectivity=8)
    sizes = stats[1:count]
    small = (
        (sizes[:, cv2.CC_STAT_AREA] >= 2)
        & (sizes[:, cv2.CC_STAT_AREA] <= PILL_MAX_AREA_PX)
        & (np.maximum(sizes[:, cv2.CC_STAT_WIDTH], sizes[:, cv2.CC_STAT_HEIGHT]) <= PILL_MAX_EXTENT_PX)
    )
    density = float(small.sum()) * 10_000 / area
    return float(1.0 - np.exp(-density / PILL_DENSITY_SCALE))
