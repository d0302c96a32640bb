"""Finding a recycling triangle's orientation and turning it apex up, on drawn triangles (no OCR)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from edge.vision import resin_triangle
from edge.vision.resin_triangle import MIN_SIXFOLD, sixfold_orientation, triangle_candidates, upright_views

CENTRE = (320, 240)
BOX = np.array([[240, 160], [400, 160], [400, 320], [240, 320]], np.float32)  # what the detector would box


def _frame(turn: float = 0.0) -> np.ndarray:
    """A triangle with a 3 inside and PVC under it, turned by ``turn`` degrees counter-clockwise about its box."""
    frame = np.full((480, 640, 3), 200, np.uint8)
    corners = [
        (CENTRE[0] + 80 * math.cos(math.radians(a)), CENTRE[1] + 80 * math.sin(math.radians(a))) for a in (-90, 30, 150)
    ]
    for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
        cv2.line(frame, (round(start[0]), round(start[1])), (round(end[0]), round(end[1])), (40, 40, 40), 5)
    cv2.putText(frame, "3", (300, 270), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (40, 40, 40), 5)
    cv2.putText(frame, "PVC", (275, 330), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (40, 40, 40), 3)
    matrix = cv2.getRotationMatrix2D(CENTRE, turn, 1.0)
    return np.asarray(cv2.warpAffine(frame, matrix, (640, 480), borderMode=cv2.BORDER_REPLICATE))


def _grazed(base: int) -> np.ndarray:
    """A triangle with a 3 inside, its bottom side drawn in grey ``base`` on the plastic's 200: what a low light along
    that side leaves of it (the other two sides dark, 40)."""
    frame = np.full((480, 640, 3), 200, np.uint8)
    corners = [
        (round(CENTRE[0] + 80 * math.cos(math.radians(a))), round(CENTRE[1] + 80 * math.sin(math.radians(a))))
        for a in (-90, 30, 150)
    ]
    cv2.line(frame, corners[0], corners[1], (40, 40, 40), 5)
    cv2.line(frame, corners[2], corners[0], (40, 40, 40), 5)
    cv2.line(frame, corners[1], corners[2], (base, base, base), 5)
    cv2.putText(frame, "3", (300, 270), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (40, 40, 40), 5)
    return frame


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    x = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY).astype(np.float32).ravel()
    y = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY).astype(np.float32).ravel()
    return float(np.corrcoef(x, y)[0, 1])


@pytest.mark.parametrize("turn", [-25.0, 0.0, 20.0])
def test_finds_the_direction_of_the_sides(turn: float) -> None:
    grey = cv2.cvtColor(_frame(turn), cv2.COLOR_BGR2GRAY)[140:340, 220:420]

    angle, sixfold, twofold = sixfold_orientation(grey)

    assert angle == pytest.approx(-turn, abs=2.0)  # the frame turned counter-clockwise: turn it back clockwise
    assert sixfold >= MIN_SIXFOLD
    assert twofold < 0.3


@pytest.mark.parametrize("turn", [0.0, 25.0, 120.0, 180.0, -100.0])
def test_one_of_the_three_views_is_the_triangle_upright(turn: float) -> None:
    upright = upright_views(_frame(0.0), BOX)[0].window

    views = upright_views(_frame(turn), BOX)

    assert len(views) == 3
    similar = [_similarity(view.window, upright) for view in views]
    assert max(similar) > 0.9
    assert sorted(similar)[1] < 0.8  # the other turns hold the digit on its side: they do not look alike


def test_the_view_nearest_the_frames_upright_comes_first() -> None:
    upright = upright_views(_frame(0.0), BOX)[0].window

    views = upright_views(_frame(25.0), BOX)

    assert _similarity(views[0].window, upright) > 0.9


def test_the_digit_and_the_abbreviation_are_cut_where_they_are() -> None:
    view = upright_views(_frame(20.0), BOX)[0]

    digit, digit_corners = view.digit()
    abbreviation, abbreviation_corners = view.abbreviation()

    # Dark ink in both cuts; the abbreviation's cut maps back to below the digit's in the frame (which is turned
    # 20°, so "below" is along the triangle's own downward direction).
    assert digit.min() < 100 and abbreviation.min() < 100
    down = np.array([math.sin(math.radians(20.0)), math.cos(math.radians(20.0))])
    assert (abbreviation_corners.mean(axis=0) - digit_corners.mean(axis=0)) @ down > 30
    assert abbreviation.shape[1] < digit.shape[1] * 3  # cut tight round "PVC", not the whole width under the base


def test_a_box_holding_only_the_digit_finds_the_triangle_round_it() -> None:
    digit_box = np.array([[295, 215], [345, 215], [345, 275], [295, 275]], np.float32)

    views = upright_views(_frame(15.0), digit_box)

    assert views
    # The digit's cut lands on the drawn digit (about the triangle's centre), cut at the triangle's scale.
    _, corners = views[0].digit()
    assert np.linalg.norm(corners.mean(axis=0) - np.array(CENTRE)) < 25
    assert 40 < np.linalg.norm(corners[0] - corners[1]) < 120


def test_the_view_whose_base_the_light_grazes_is_completed_from_the_other_two(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = upright_views(_grazed(base=40), BOX)[0]  # the upright view with its base drawn like the other sides

    views = upright_views(_grazed(base=200), BOX)  # the bottom side not seen at all

    assert len(views) == 3
    upright = views[0]
    assert np.allclose(upright.to_frame, drawn.to_frame, atol=0.5)  # the same turn, scale and place
    # The base where the drawn one is found (within 5 % of its length: the other sides' lines are found on their
    # strokes' edges).
    assert abs(upright.base_y - drawn.base_y) <= 0.05 * drawn.base_length
    assert abs(upright.base_left - drawn.base_left) <= 0.1 * drawn.base_length
    assert abs(upright.base_right - drawn.base_right) <= 0.1 * drawn.base_length
    # Found by its own base line, that view is not there: the other two are.
    monkeypatch.setattr(resin_triangle, "_completed_view", lambda *_: None)
    found = upright_views(_grazed(base=200), BOX)
    assert len(found) == 2
    assert not any(np.allclose(view.to_frame, drawn.to_frame, atol=0.5) for view in found)


def test_two_views_that_disagree_on_the_centre_are_not_completed() -> None:
    one, other = upright_views(_grazed(base=200), BOX)[1:]
    centre = BOX.mean(axis=0)
    # The second view's base line moved well inside the triangle (a stroke of the digit taken for the base).
    moved = resin_triangle.UprightTriangle(
        other.window, other.to_frame, other.base_y - 40, other.base_left, other.base_right
    )

    frame = _grazed(base=200)

    assert resin_triangle._completed_view(frame, centre, 150.0, 0.0, one, other) is not None  # as found: completed
    assert resin_triangle._completed_view(frame, centre, 150.0, 0.0, one, moved) is None


def test_a_straight_edge_text_and_cloth_are_not_triangles() -> None:
    blank = np.full((480, 640, 3), 128, np.uint8)
    edge = blank.copy()
    edge[250:] = 60
    edge = cv2.warpAffine(edge, cv2.getRotationMatrix2D(CENTRE, 17, 1.0), (640, 480), borderMode=cv2.BORDER_REPLICATE)
    text = blank.copy()
    cv2.putText(text, "LOT 2319", (230, 255), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
    weave = blank.copy()
    for i in range(0, 640, 6):
        cv2.line(weave, (0, i), (639, i), (90, 90, 90), 2)
        cv2.line(weave, (i, 0), (i, 479), (160, 160, 160), 2)

    for frame in (blank, edge, text, weave):
        assert upright_views(frame, BOX) == []


@pytest.mark.parametrize("turn", [0, 25])
def test_the_scan_finds_a_big_triangle_whole_and_not_only_its_corners(turn: float) -> None:
    # A 190 px triangle with thick sides: each corner (two sides 60 deg apart) fills a small window with edges as
    # triangle-like as the whole does a big one. Ranked together, the small windows took every place.
    frame = np.full((480, 640, 3), 150, np.uint8)
    corners = [
        (CENTRE[0] + 110 * math.cos(math.radians(a + turn)), CENTRE[1] + 110 * math.sin(math.radians(a + turn)))
        for a in (-90, 30, 150)
    ]
    for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
        cv2.line(frame, (round(start[0]), round(start[1])), (round(end[0]), round(end[1])), (120, 120, 120), 9)
    cv2.putText(frame, "5", (295, 275), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (120, 120, 120), 7)
    frame = cv2.GaussianBlur(frame, (0, 0), 1.2)

    whole = [
        box
        for box in triangle_candidates(frame)
        if np.linalg.norm(box[0] - box[1]) >= 190 and np.linalg.norm(box.mean(axis=0) - CENTRE) < 0.25 * 190
    ]
    assert whole


def _raised_among_specks(specks: int, seed: int = 0) -> np.ndarray:
    """A faint raised triangle (60 px to a corner) lit from the side, so only its slanted sides show, with ``specks``
    dark dirt specks scattered over and round it."""
    rng = np.random.default_rng(seed)
    relief = np.zeros((480, 640), np.float32)
    corners = [
        (CENTRE[0] + 60 * math.cos(math.radians(a)), CENTRE[1] + 60 * math.sin(math.radians(a))) for a in (-90, 30, 150)
    ]
    for start, end in zip(corners, corners[1:] + corners[:1], strict=True):
        cv2.line(relief, (round(start[0]), round(start[1])), (round(end[0]), round(end[1])), 1.0, 6)
    image = 150 + 12 * cv2.Sobel(cv2.GaussianBlur(relief, (0, 0), 1.5), cv2.CV_32F, 1, 0, ksize=3)
    for _ in range(specks):
        cv2.circle(image, (int(rng.uniform(200, 440)), int(rng.uniform(120, 360))), int(rng.uniform(2, 4)), 30, -1)
    image += rng.normal(0, 2, image.shape)
    return cv2.cvtColor(np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def _scan_finds_it(frame: np.ndarray) -> bool:
    return any(np.linalg.norm(box.mean(axis=0) - np.array(CENTRE)) < 25 for box in triangle_candidates(frame))


def test_the_scan_finds_a_faint_triangle_among_dirt_specks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Weighed by squared gradient, the specks' edges (all directions) outweigh the faint sides; the second scan, each
    # pixel's weight capped, counts every edge pixel about the same and finds the triangle.
    clean, dirty = _raised_among_specks(0), _raised_among_specks(40)
    assert _scan_finds_it(clean) and _scan_finds_it(dirty)
    monkeypatch.setattr("edge.vision.resin_triangle.SCAN_CAPPED_PERCENTILE", None)  # the first scan alone
    assert _scan_finds_it(clean)
    assert not _scan_finds_it(dirty)


def test_the_second_scan_keeps_every_place_of_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _raised_among_specks(40, seed=4)
    both = triangle_candidates(frame)
    monkeypatch.setattr("edge.vision.resin_triangle.SCAN_CAPPED_PERCENTILE", None)
    first = triangle_candidates(frame)
    assert len(both) > len(first)
    assert all(np.array_equal(a, b) for a, b in zip(first, both, strict=False))
