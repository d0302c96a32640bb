"""The simulated camera writes files OpenCV reads back."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from edge.stations.camera import Camera
from firmware_mocks.camera import (
    ITEM_FRAME,
    ItemCamera,
    draw_frame,
    draw_item,
    make_frames_folder,
    make_video,
    render_moulded,
)
from scripts.font_split import TUNING_FONTS, font_paths
from tests.conftest import wait_until


def read_png(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path))
    assert image is not None
    return np.asarray(image, dtype=np.uint8)


def test_frames_folder_is_named_in_order_and_reproducible(tmp_path: Path) -> None:
    first = make_frames_folder(tmp_path / "a", count=3, size=(200, 100), seed=7)
    second = make_frames_folder(tmp_path / "b", count=3, size=(200, 100), seed=7)
    names = sorted(p.name for p in first.iterdir())
    assert names == ["frame_0000.png", "frame_0001.png", "frame_0002.png"]
    images = [read_png(first / name) for name in names]
    assert all(image.shape == (100, 200, 3) for image in images)
    assert not np.array_equal(images[0], images[1])
    assert np.array_equal(images[2], read_png(second / names[2]))


def test_frame_has_a_grey_plate_and_a_coloured_item() -> None:
    frame = draw_frame(0, (320, 240))
    assert tuple(frame[30, 40]) == (128, 128, 128) or tuple(frame[210, 280]) == (128, 128, 128)
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 3


def test_video_plays_back(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.avi", count=4, size=(160, 120), fps=10.0)
    capture = cv2.VideoCapture(str(video))
    frames = 0
    while capture.read()[0]:
        frames += 1
    capture.release()
    assert frames == 4


# -- the learning camera: frames that depend on the item's category ------------------------------------------


def features(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """A plain pixel statistic of the demo camera's crop: mean and spread of the colour of the pixels that differ
    from the plate (the item), relative to the plate's brightness; blind to where the item lies."""
    crop = frame[60:420:2, 120:520:2].reshape(-1, 3).astype(np.float64)  # every other pixel is plenty
    plate = np.median(crop, axis=0)
    item = crop[np.abs(crop - plate).max(axis=1) > 30]
    if len(item) == 0:
        return np.zeros(6)
    return np.concatenate([item.mean(axis=0), item.std(axis=0)]) / plate.mean()


def test_item_frames_differ_by_category_more_than_within_one() -> None:
    rng = np.random.default_rng(3)
    categories = range(6)  # a plastic station's six categories
    train = {c: np.array([features(draw_item(c, rng)) for _ in range(8)]) for c in categories}
    test = {c: np.array([features(draw_item(c, rng)) for _ in range(8)]) for c in categories}
    centroids = {c: f.mean(axis=0) for c, f in train.items()}
    within = np.mean([np.linalg.norm(f - centroids[c], axis=1).mean() for c, f in train.items()])
    nearest = min(float(np.linalg.norm(centroids[a] - centroids[b])) for a in categories for b in categories if a < b)
    assert nearest > 3 * within, (nearest, within)  # even the two closest categories lie far apart
    # A nearest-centroid classifier on this statistic sorts unseen frames by category.
    right = sum(
        min(categories, key=lambda k: float(np.linalg.norm(f - centroids[k]))) == c
        for c, fs in test.items()
        for f in fs
    )
    assert right / (8 * len(categories)) >= 0.9
    # Yet no two frames of one category are the same: position, size, light and noise vary.
    a, b = draw_item(0, rng), draw_item(0, rng)
    assert not np.array_equal(a, b)


def test_item_camera_shows_the_next_item_to_the_stations_camera(tmp_path: Path) -> None:
    folder = tmp_path / "camera"
    shown = ItemCamera(folder, ["pp", "ps", "pet"], seed=1)
    assert [p.name for p in folder.iterdir()] == [ITEM_FRAME]  # an empty plate until an item comes
    camera = Camera(folder, sim_fps=50.0)
    try:
        assert wait_until(lambda: camera.latest(1.0) is not None, 5)
        plate = camera.latest(1.0)
        shown.show("pp")  # category 0: a red disc
        pp = features(read_png(folder / ITEM_FRAME))

        def sees_the_item() -> bool:
            frame = camera.latest(1.0)
            return frame is not None and frame is not plate and np.allclose(features(frame), pp, atol=0.05)

        assert wait_until(sees_the_item, 5)
        assert [p.name for p in folder.iterdir()] == [ITEM_FRAME]  # replaced whole, nothing half-written left
    finally:
        camera.close()


def test_a_moulded_marking_shows_faintly_in_ambient_light_and_strongly_under_each_side_light() -> None:
    item = render_moulded(random.Random(3), np.random.default_rng(3), font_paths(TUNING_FONTS), (0, 120, 240), digit=5)
    assert item.polymer == "pp" and item.text.startswith("5\n")
    assert len(item.lit) == 3 and all(f.shape == item.ambient.shape == (480, 640, 3) for f in item.lit)

    def relief(frame: npt.NDArray[np.uint8]) -> float:
        """Fine detail only: the strokes' light and shadow edges, not the item's slow shading."""
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return float(np.percentile(np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 4)), 99.5))

    assert all(relief(frame) > 2 * relief(item.ambient) for frame in item.lit)
    assert not np.array_equal(item.lit[0], item.lit[1])  # each light shades the relief its own way
