"""Find a recycling triangle's orientation and the places of its digit and its abbreviation.

The recogniser reads lines, upright. A resin code is neither: a digit inside three chasing arrows, turned however the
item lies on the scale, with a short abbreviation (often one letter, ``V`` or ``O``) under the triangle's base. Read as
is, a turned 7 reads as a 1, and the detector rarely boxes a lone small letter at all. So the reader turns the triangle
upright first and then cuts out the two places where the text must be.

Orientation: the three sides run in directions 60° apart, so the edge directions of a triangle pile up at one angle
modulo 60°. The sixfold circular mean of the gradient directions, weighted by squared gradient (and by how coherent
the directions around each pixel are, ``COHERENCE_POWER``), gives that angle and, by its length (0..1), how much the
region looks like a triangle rather than text (measured, unweighted by coherence, on the rendered evaluation set:
triangles 0.33-0.6, text lines and lone digits mostly below 0.25). A straight edge is as concentrated; the
twofold mean, near 1 for it and near 0 for three sides 60° apart, tells them apart. Which of the six turns of that
angle is upright cannot be told from the outline alone: three put a side flat at the bottom (apex up) and the digit
decides between them (``upright_views`` returns those three, the most likely first; where only two show a base line,
as when a low light grazes the third side, the third is placed by their geometry, ``_completed_view``).

The geometry is in a fixed-size window, turned and scaled so that the triangle spans about half of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

WINDOW = 320  # px: a triangle about 140-200 px across in the window reads at the recogniser's comfortable scale
ORIENTATION_SIGMA = 1.5  # px of smoothing before the gradient directions are taken (see sixfold_orientation)
MIN_SIXFOLD = 0.3  # sixfold concentration below this is not a triangle (see the module docstring)
# Each pixel's direction weighed by how coherent the directions around it are (the length of the mean of e^(2i angle)
# weighed by squared gradient, over a Gaussian of COHERENCE_SPREAD times the smoothing, to this power): along a
# stroke's edge they agree (near 1), in the grain of a matte surface they point every way, and unweighted that
# grain's many weak edges outweighed a faint relief's few. On grained tuning frames the triangle's own box passed the
# sixfold test in 63 of 90 raised triangles instead of 44, on smooth ones 85 of 96 instead of 67 (docs/vision.md,
# "Grained surfaces"). The outline test (``sixfold_orientation``) weighs so; the scan does not: with that background
# of weak edges gone, a window holding a few dirt specks and little else reached sixfold concentrations above a
# faint triangle's, and the scan lost the triangle among specks that it finds unweighted.
COHERENCE_POWER = 2.0
COHERENCE_SPREAD = 2.0
# Edges nearly all in one direction are a straight edge (a box side, a shadow), not a triangle. Triangles on the
# evaluation set measured up to 0.6 (embossed: lit from one side, the edges across the light are stronger).
MAX_TWOFOLD = 0.8
# The scan for triangles the detector did not box: window sides at half resolution (a triangle of side s fills a
# window of about 1.2 s: 40-200 px triangles), how many windows at most, and how many times the frame's median edge
# energy a window must hold (a flat patch with a little noise has no triangle in it). SCAN_LIMIT places per size.
SCAN_WINDOWS = (28, 56, 112)
SCAN_LIMIT = 3
SCAN_MIN_EDGES = 4.0
# ... and at least this mean squared gradient (grey levels per half-resolution pixel, squared): in a flat, bright
# patch the median is tiny and noise alone passed, which the recogniser and the OCR then both read as a 7.
SCAN_MIN_ENERGY = 30.0
# ... and the scan a second time with every pixel's weight capped at this percentile of the frame's, at a lower
# sixfold threshold; its places are tried besides the first's. Weighed by squared gradient, a few dark dirt specks or a
# glare's rim outweigh the faint edges of a raised triangle (their directions go all ways round, so the triangle's
# sixfold concentration drops under MIN_SIXFOLD); capped, every edge pixel counts about the same. Alone, the capped scan
# found the triangle, with the recogniser claiming its digit there, in 53 % of the 1,120 tuning frames' raised
# triangles instead of 33 %, with half as many digit claims elsewhere; but it lost some places the plain scan finds,
# so it adds to it (docs/vision.md, "A second scan").
SCAN_CAPPED_PERCENTILE = 95.0
SCAN_CAPPED_MIN_SIXFOLD = 0.25
# How far around the detector's box (in box sizes) the triangle is looked for: the box itself, then, for a box that
# holds only the digit, the neighbourhood the triangle around a digit of that size takes up.
REACHES = (0.6, 2.0)
BASE_MARGIN = 40  # px of the window's sides left out of the base-line profile (other marks sit beside a triangle)
MAX_BASE_SHARE = 0.85  # a base spanning more of the window means the window was cut too tight: zoom out once
# Under one low side light the side the light grazes shows almost no edge; where that side is the upright view's base,
# its base-line test fails and the one view that holds the digit upright is lost (on grained tuning frames 24 of 102
# triangles whose outline passed had two views, 6 of them without the upright one). With two apex-up views found,
# the third is cut with its base where their base lines put the triangle's third side (``_completed_view``): the
# perpendiculars through their midpoints meet at the centre, whose distances to the two sides may differ at most by
# this ratio (a found "view" at a stroke of the digit or at a line under the triangle puts them far apart).
MAX_DEPTH_RATIO = 1.6
# Where the text sits relative to the flat base, in units of the base line's length L (which runs from arrowhead
# tip to arrow tail, about 0.8 of the triangle's side). Digit: between the base and the apex, centred. Abbreviation:
# under the base, about as wide as the base.
DIGIT_SPAN = (-0.62, -0.06, 0.25)  # top, bottom (from the base, down is positive), half width
ABBREVIATION_SPAN = (0.06, 0.5, 0.42)
# The whole triangle round the digit (its apex about 1.1 L above the base): what tells a digit in a triangle from a
# digit in a lot number that happened to pass the outline test.
OUTLINE_SPAN = (-1.2, 0.12, 0.68)


@dataclass(frozen=True, slots=True)
class UprightTriangle:
    """One apex-up view of a triangle: ``window`` (BGR), its mapping back to the frame and the base line in it."""

    window: np.ndarray
    to_frame: np.ndarray  # 2x3 affine, window pixels -> frame pixels
    base_y: int
    base_left: int
    base_right: int

    @property
    def base_length(self) -> int:
        return self.base_right - self.base_left

    def digit(self) -> tuple[np.ndarray, np.ndarray]:
        """The region inside the triangle where the digit is, and its corners in the frame."""
        return self._region(DIGIT_SPAN)

    def outline(self) -> np.ndarray:
        """The whole triangle, apex up, cut square round its base line (the digit recogniser's context)."""
        return self._region(OUTLINE_SPAN)[0]

    def abbreviation(self) -> tuple[np.ndarray, np.ndarray]:
        """The region under the base where the abbreviation is, cut tight to what is drawn there."""
        region, corners = self._region(ABBREVIATION_SPAN)
        return _tighten(region, corners)

    def _region(self, span: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        top, bottom, half = span
        length = self.base_length
        centre = (self.base_left + self.base_right) / 2
        x0, x1 = _clip(centre - half * length), _clip(centre + half * length)
        y0, y1 = _clip(self.base_y + top * length), _clip(self.base_y + bottom * length)
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
        return self.window[y0:y1, x0:x1], self._to_frame(corners)

    def _to_frame(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points @ self.to_frame[:, :2].T + self.to_frame[:, 2], np.float32)


def sixfold_orientation(grey: np.ndarray) -> tuple[float, float, float]:
    """The direction (degrees, -30..30) of the region's lines modulo 60°, how concentrated they are at it (0..1), and
    how concentrated they are at one single direction (0..1: a straight edge is 1, a triangle's three sides cancel)."""
    # Smoothed first: on raw pixels a 3x3 Sobel's directions are biased by JPEG blocks, grain and the round strokes
    # of the digit; on the tuning renders (raised relief under a side light, 40-200 px) smoothing at 1.5 px put 86 %
    # of triangles above MIN_SIXFOLD instead of 71 %, while places that are no triangle stayed mostly below it.
    weight, g2, g6 = _direction_terms(grey, ORIENTATION_SIGMA, coherent=True)
    total = float(weight.sum(dtype=np.float64))
    if total <= 0:
        return 0.0, 0.0, 0.0
    # A line runs at 90° to its gradient; 6 * 90° = 540° = 180°, hence the minus sign.
    sixfold = -complex(g6.sum(dtype=np.complex128)) / total
    twofold = complex(g2.sum(dtype=np.complex128)) / total
    return math.degrees(math.atan2(sixfold.imag, sixfold.real)) / 6, abs(sixfold), abs(twofold)


def _direction_terms(
    grey: np.ndarray, sigma: float, coherent: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pixel of ``grey`` smoothed at ``sigma``: the weight (the squared gradient; ``coherent``: times the coherence
    of the directions around it, ``COHERENCE_POWER``), and weight * e^(2i angle) and weight * e^(6i angle) of the
    gradient's direction. For g = gx + i gy (and coherence c) these are c |g|^2, c g^2 and c g^6 / |g|^4: no
    trigonometry (arctan2 and exp over a frame-sized region took most of a scan's time)."""
    image = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), sigma)
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    g2 = (gx + 1j * gy).astype(np.complex64) ** 2
    weight = np.abs(g2)
    if not coherent:
        return weight, g2, g2 * g2 * g2 / np.maximum(weight * weight, 1e-12)
    spread = COHERENCE_SPREAD * sigma
    agreeing = np.hypot(cv2.GaussianBlur(g2.real, (0, 0), spread), cv2.GaussianBlur(g2.imag, (0, 0), spread))
    coherence = (agreeing / np.maximum(cv2.GaussianBlur(weight, (0, 0), spread), 1e-12)) ** COHERENCE_POWER
    weight, g2 = weight * coherence, g2 * coherence
    return weight, g2, g2 * g2 * g2 / np.maximum(weight * weight, 1e-12)


def triangle_candidates(frame: np.ndarray, limit: int = SCAN_LIMIT) -> list[np.ndarray]:
    """Boxes (4 corners, frame pixels) round the places of ``frame`` that look most like a triangle by their edge
    directions, best first: for faint relief that the text detector does not box at all.

    The sixfold and twofold statistics of ``sixfold_orientation`` are computed for every window at once (box filters
    over the per-pixel terms, at half resolution) for a few window sizes that cover triangles of 40-200 px; for each
    size, the ``limit`` best windows that pass both tests, hold enough edges and are the best in their neighbourhood
    are returned, the smallest windows first; then those of the same scan with each pixel's weight capped
    (``SCAN_CAPPED_PERCENTILE``) that are not near a place of the first.
    """
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    small = cv2.resize(grey, (grey.shape[1] // 2, grey.shape[0] // 2), interpolation=cv2.INTER_AREA)
    weight, g2, g6 = _direction_terms(small, ORIENTATION_SIGMA / 2)
    # Both scans hold a window to the same edge energy: the uncapped weight's.
    floor = max(SCAN_MIN_EDGES * float(np.median(weight)), SCAN_MIN_ENERGY)
    edges = {window: cv2.boxFilter(weight, -1, (window, window)) for window in SCAN_WINDOWS}
    places = _scan(weight, g2, g6, MIN_SIXFOLD, edges, floor, limit)
    if SCAN_CAPPED_PERCENTILE is not None:
        capped = np.minimum(weight, np.float32(np.percentile(weight, SCAN_CAPPED_PERCENTILE)))
        scale = capped / np.maximum(weight, 1e-12)
        more = _scan(capped, g2 * scale, g6 * scale, SCAN_CAPPED_MIN_SIXFOLD, edges, floor, limit)
        places += [place for place in more if not _near(place, places)]
    # upright_views looks at 0.6 box sizes round the centre: a box of the window's size (full resolution: x2).
    return [
        np.array(
            [[2 * (x + dx * half), 2 * (y + dy * half)] for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))], np.float32
        )
        for x, y, half in places
    ]


def _scan(
    weight: np.ndarray,
    g2: np.ndarray,
    g6: np.ndarray,
    min_sixfold: float,
    edges: dict[int, np.ndarray],
    floor: float,
    limit: int,
) -> list[tuple[float, float, float]]:
    """The scan's places (x, y, half window; half-resolution pixels) for per-pixel direction terms weighed by
    ``weight``: per window size the ``limit`` best windows whose sixfold concentration reaches ``min_sixfold``, that
    are no straight edge and whose edge energy (``edges``) reaches ``floor``, smallest windows first."""
    terms = [g6.real, g6.imag, g2.real, g2.imag]
    chosen: list[tuple[float, float, float]] = []  # x, y, half (small pixels)
    for window in SCAN_WINDOWS:
        total = cv2.boxFilter(weight, -1, (window, window))
        c6, s6, c2, s2 = (cv2.boxFilter(np.ascontiguousarray(term, np.float32), -1, (window, window)) for term in terms)
        safe = np.maximum(total, 1e-6)
        sixfold = np.hypot(c6, s6) / safe
        twofold = np.hypot(c2, s2) / safe
        passing = (sixfold >= min_sixfold) & (twofold <= MAX_TWOFOLD) & (edges[window] >= floor)
        score = np.where(passing, sixfold, 0)
        # Best in its neighbourhood (half a window), and not at the frame's border.
        peaks = (score > 0) & (score >= cv2.dilate(score, np.ones((window // 2 | 1, window // 2 | 1), np.uint8)))
        margin = window // 2
        peaks[:margin], peaks[-margin:], peaks[:, :margin], peaks[:, -margin:] = False, False, False, False
        ys, xs = np.nonzero(peaks)
        best = np.argsort(-score[ys, xs])[: 4 * limit]  # a plateau is many peaks: keep the few best
        # ``limit`` places for each window size: ranked together, the corners of a big triangle (two sides 60 deg
        # apart in a small window) outscored and hid the window round the whole triangle.
        places: list[tuple[float, float, float]] = []
        for k in best:
            x, y = float(xs[k]), float(ys[k])
            if all(math.hypot(x - cx, y - cy) > window / 2 for cx, cy, _ in places):
                places.append((x, y, window / 2))
            if len(places) == limit:
                break
        chosen += places
    return chosen


def _near(place: tuple[float, float, float], places: list[tuple[float, float, float]]) -> bool:
    """Whether ``place`` lies within half a window of one of ``places`` (the half window of that one)."""
    return any(math.hypot(place[0] - x, place[1] - y) <= half for x, y, half in places)


def upright_views(frame: np.ndarray, box: np.ndarray) -> list[UprightTriangle]:
    """The three apex-up views of the triangle the detector boxed at ``box`` (4 corners), or [] if it is not one.

    The box may hold the whole triangle, or only its digit: then the triangle is looked for around it. The first view
    is the one nearest the frame's own upright, which is how a sorter usually lays an item down.
    """
    centre = box.mean(axis=0)
    size = float(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[0] - box[3])))
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    x, y = round(float(centre[0])), round(float(centre[1]))
    for reach in REACHES:
        half = max(8, round(reach * size))
        region = grey[max(0, y - half) : y + half, max(0, x - half) : x + half]
        if region.size == 0:
            return []
        angle, sixfold, twofold = sixfold_orientation(region)
        if sixfold >= MIN_SIXFOLD and twofold <= MAX_TWOFOLD:
            return _apex_up_views(frame, centre, half / REACHES[0] * 1.1, angle)
    return []


def _apex_up_views(frame: np.ndarray, centre: np.ndarray, radius: float, angle: float) -> list[UprightTriangle]:
    found: dict[int, UprightTriangle] = {}
    # Six turns put a side level; three of them put it at the bottom. Nearest the frame's upright first.
    order = sorted(range(6), key=lambda k: abs(((angle + 60 * k + 180) % 360) - 180))
    for turn in order:
        view = _view(frame, centre, radius, angle + 60 * turn)
        if view is not None and _fills_window(view.base_length):
            view = _view(frame, centre, 2 * radius, angle + 60 * turn)  # cut too tight: zoom out
        if view is not None:
            found[turn] = view
            if len(found) == 3:
                break
    if len(found) == 2:
        first, second = found
        # Apex-up turns are every other one: two found, the third is the other turn of their parity.
        if (first - second) % 2 == 0:
            third = next(turn for turn in range(first % 2, 6, 2) if turn not in found)
            view = _completed_view(frame, centre, radius, angle + 60 * third, found[first], found[second])
            if view is not None:
                found[third] = view
    return [found[turn] for turn in order if turn in found]


def _view(frame: np.ndarray, centre: np.ndarray, radius: float, angle: float) -> UprightTriangle | None:
    """The frame turned by ``angle`` round ``centre``, ``radius`` px about it filling the window; None if apex down."""
    matrix = _turning(centre, radius, angle)
    window = _window(frame, matrix)
    grey = cv2.cvtColor(window, cv2.COLOR_BGR2GRAY) if window.ndim == 3 else window
    smooth = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.5)
    vertical = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3))
    horizontal = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3))
    level = np.clip(vertical - horizontal, 0, None)  # edges of level lines only
    profile = np.convolve(level[:, BASE_MARGIN:-BASE_MARGIN].sum(axis=1), np.ones(9) / 9, mode="same")
    middle = WINDOW // 2
    below, above = profile[middle:], profile[:middle]
    # Apex up: the strongest level line lies below the centre, clearly stronger than any above it (a 7's or 5's
    # top bar is level too, but short).
    if below.max() <= 1.5 * above.max():
        return None
    base_y = middle + int(np.argmax(below))
    row = level[max(0, base_y - 6) : base_y + 6].sum(axis=0)
    columns = np.flatnonzero(row > 0.3 * row.max())
    if columns.size < 2:
        return None
    return UprightTriangle(window, cv2.invertAffineTransform(matrix), base_y, int(columns.min()), int(columns.max()))


def _fills_window(base_length: float) -> bool:
    """Whether a base line this long (window pixels) means the window was cut too tight (``MAX_BASE_SHARE``)."""
    return base_length > MAX_BASE_SHARE * (WINDOW - 2 * BASE_MARGIN)


def _turning(centre: np.ndarray, radius: float, angle: float) -> np.ndarray:
    """The 2x3 affine that turns the frame by ``angle`` round ``centre`` and scales ``radius`` px about it to fill
    the window."""
    scale = WINDOW / (2 * radius)
    matrix = np.asarray(cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale), np.float64)
    matrix[:, 2] += WINDOW / 2 - centre
    return matrix


def _window(frame: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The window of ``frame`` that ``matrix`` (``_turning``) maps it to."""
    return cv2.warpAffine(frame, matrix, (WINDOW, WINDOW), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _completed_view(
    frame: np.ndarray, centre: np.ndarray, radius: float, angle: float, one: UprightTriangle, other: UprightTriangle
) -> UprightTriangle | None:
    """The third apex-up view of a triangle whose other two were found, its base line placed where their base lines
    put the third side, or None where the two do not agree on the triangle's centre (``MAX_DEPTH_RATIO``)."""
    (middle_1, out_1, length_1), (middle_2, out_2, length_2) = _side(one), _side(other)
    # The perpendiculars through two sides' midpoints meet at the triangle's centre; the third side's midpoint lies
    # as far out from it, on the side the two normals' sum points away from.
    try:
        depth_1, depth_2 = np.linalg.solve(np.column_stack([-out_1, out_2]), middle_2 - middle_1)
    except np.linalg.LinAlgError:
        return None
    if min(depth_1, depth_2) <= 0 or max(depth_1, depth_2) > MAX_DEPTH_RATIO * min(depth_1, depth_2):
        return None
    outward = -(out_1 + out_2) / max(float(np.linalg.norm(out_1 + out_2)), 1e-6)
    middle = middle_1 - depth_1 * out_1 + (depth_1 + depth_2) / 2 * outward
    length = (length_1 + length_2) / 2
    for reach in (radius, 2 * radius):  # zoomed out, as a found view is, when the base would fill the window
        half = length / 2 * WINDOW / (2 * reach)
        if _fills_window(2 * half):
            continue
        matrix = _turning(centre, reach, angle)
        x, y = matrix @ np.array([middle[0], middle[1], 1.0])
        if not WINDOW / 2 < y < WINDOW:  # apex up: the base below the window's centre
            return None
        window = _window(frame, matrix)
        return UprightTriangle(window, cv2.invertAffineTransform(matrix), round(y), round(x - half), round(x + half))
    return None


def _side(view: UprightTriangle) -> tuple[np.ndarray, np.ndarray, float]:
    """A view's base line in the frame: its midpoint, its outward normal (the window's down) and its length."""
    middle = view.to_frame @ np.array([(view.base_left + view.base_right) / 2, view.base_y, 1.0])
    down = view.to_frame[:, :2] @ np.array([0.0, 1.0])
    scale = float(np.linalg.norm(down))
    return middle, down / scale, view.base_length * scale


def _tighten(region: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``region`` to what is drawn in it, with a margin of a quarter of its height: the recogniser reads a lone
    letter with little space around it, and reads nothing in a wide empty crop."""
    if region.size == 0:
        return region, corners
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    smooth = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.0)
    magnitude = np.hypot(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    magnitude[:2], magnitude[-2:], magnitude[:, :2], magnitude[:, -2:] = 0, 0, 0, 0
    ys, xs = np.nonzero(magnitude > 0.35 * magnitude.max()) if magnitude.max() > 0 else (np.array([]), np.array([]))
    if ys.size < 5:
        return region[:0, :0], corners
    top, bottom = np.percentile(ys, 1), np.percentile(ys, 99)
    left, right = np.percentile(xs, 1), np.percentile(xs, 99)
    pad = 0.25 * (bottom - top + 1)
    h, w = region.shape[:2]
    y0, y1 = int(max(0, top - pad)), int(min(h, bottom + pad + 1))
    x0, x1 = int(max(0, left - pad)), int(min(w, right + pad + 1))
    # The corners of the cut, interpolated inside the region's corners (the region is axis-aligned in the window).
    tl, tr, _, bl = corners
    across, down = (tr - tl) / max(w, 1), (bl - tl) / max(h, 1)
    cut = np.array([tl + across * x + down * y for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))], np.float32)
    return region[y0:y1, x0:x1], cut


def _clip(value: float) -> int:
    return int(min(WINDOW, max(0, round(value))))
