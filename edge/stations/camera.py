"""The camera over the scale plate: always the newest frame, never a wait.

A daemon thread reads frames as fast as the source gives them and keeps only the newest, so a frame taken
when the weight settles shows the item on the plate now, not one from a buffer of a second ago, and the
weighing loop never waits on the camera: :meth:`Camera.latest` only copies a reference under a lock.

Sources:

- an ``int`` (or a string of digits): a V4L2 device index, ``/dev/video<N>``;
- an ``rtsp://``, ``http://`` or ``https://`` URL: an IP camera, through OpenCV's FFmpeg backend;
- a path to a video file: played at its own frame rate and looped, a stand-in camera for demos and tests;
- a path to a folder of images: cycled in name order at ``sim_fps``, a stand-in camera too; the folder is
  listed again at the end of each cycle, so images added later are shown;
- ``None``: no camera at this station; health is "absent".

A source that fails to open, or stops giving frames, is reopened with backoff from ``retry_min_s`` to
``retry_max_s``; nothing it does raises into the caller. A path that does not exist yet is just a source
that fails to open, so a camera (or a folder) that appears later is picked up.

Frames are BGR ``uint8`` arrays (OpenCV's order) and read-only: they are shared, not copied, between the
thread and every caller; copy one before drawing on it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Protocol, Self

import cv2
import numpy as np
import numpy.typing as npt

from config.drivers import CameraConfig
from core.contract.payloads import DeviceHealth
from edge.stations.devices import DeviceProblem

logger = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
Crop = tuple[int, int, int, int]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
URL_SCHEMES = ("rtsp://", "http://", "https://")
# FFmpeg's own defaults wait 30 s or more on a dead IP camera; a few seconds is enough on a site's LAN and
# keeps close() and the fault report prompt.
NETWORK_TIMEOUT_MS = 5000
# A video file that claims a frame rate outside this range is not trusted; it plays at sim_fps instead.
MAX_FILE_FPS = 120.0


class _Reader(Protocol):
    # Seconds to wait between frames: a stand-in source would otherwise spin a core reading as fast as the
    # disk allows. Zero for live sources, whose read() itself waits for the next frame.
    pace_s: float
    # Failed reads in a row after which the source counts as gone and is reopened.
    max_misses: int

    def read(self) -> Frame | None: ...

    def release(self) -> None: ...


class _CaptureReader:
    def __init__(self, capture: cv2.VideoCapture, pace_s: float, loop: bool) -> None:
        self._capture = capture
        self._loop = loop
        self.pace_s = pace_s
        self.max_misses = 1

    def read(self) -> Frame | None:
        ok, frame = self._capture.read()
        if not ok and self._loop:
            # The end of a video file: a stand-in camera never runs out, so start again.
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        if not ok or frame is None:
            return None
        return np.asarray(frame, dtype=np.uint8)

    def release(self) -> None:
        self._capture.release()


class _FolderReader:
    def __init__(self, folder: Path, files: list[Path], pace_s: float) -> None:
        self._folder = folder
        self._files = files
        self._index = 0
        self.pace_s = pace_s
        self.max_misses = len(files)  # a whole cycle of unreadable images

    def read(self) -> Frame | None:
        if self._index >= len(self._files):
            self._files = _list_images(self._folder)
            self._index = 0
            self.max_misses = max(len(self._files), 1)
            if not self._files:
                return None
        path = self._files[self._index]
        self._index += 1
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            logger.debug("camera: cannot read image %s", path)
            return None
        return np.asarray(frame, dtype=np.uint8)

    def release(self) -> None:
        pass


def _list_images(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    except OSError:
        return []


class Camera:
    def __init__(
        self,
        source: int | str | Path | None,
        *,
        crop: Crop | None = None,
        fault_after_s: float = 5.0,
        retry_min_s: float = 1.0,
        retry_max_s: float = 30.0,
        sim_fps: float = 10.0,
    ) -> None:
        """``crop`` is (x, y, w, h) of the scale plate in the frame; ``latest()`` returns that region only.

        ``fault_after_s``: with no new frame for this long (counted from the start until the first frame)
        the camera reports "fault". ``sim_fps`` paces folder sources and video files without a frame rate."""
        if crop is not None and (min(crop) < 0 or crop[2] == 0 or crop[3] == 0):
            raise ValueError(f"crop must be (x, y, w, h) with x, y >= 0 and w, h > 0, not {crop}")
        if isinstance(source, str) and source.isdigit():
            source = int(source)
        self.source = source
        self.crop = crop
        self.frames_read = 0
        self.frames_failed = 0
        self._fault_after_s = fault_after_s
        self._retry_min_s = retry_min_s
        self._retry_max_s = retry_max_s
        self._sim_pace_s = 1.0 / sim_fps
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._frame_at = 0.0
        self._started = time.monotonic()
        self._open_failed = False
        self._failure = ""  # why the source last failed to open, for the station's warning
        self._warned_crop = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if source is None:
            logger.info("no camera configured")
            return
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    @classmethod
    def from_config(cls, config: CameraConfig) -> Self:
        return cls(config.source, crop=config.crop)

    @property
    def health(self) -> DeviceHealth:
        if self.source is None:
            return DeviceHealth.ABSENT
        if self._open_failed:
            return DeviceHealth.FAULT
        with self._lock:
            since = self._frame_at if self._frame is not None else self._started
        return DeviceHealth.OK if time.monotonic() - since <= self._fault_after_s else DeviceHealth.FAULT

    @property
    def problem(self) -> DeviceProblem | None:
        """``absent`` while the source does not open, ``fault`` while it opens but gives no frames."""
        if self.health is not DeviceHealth.FAULT:
            return None
        if self._open_failed:
            return DeviceProblem("absent", self._failure or f"camera {self.source} does not open")
        return DeviceProblem("fault", f"camera {self.source}: no frame for more than {self._fault_after_s:g} s")

    def latest(self, max_age_s: float) -> Frame | None:
        """The newest frame if it is younger than ``max_age_s``, cropped; else None. Never waits on I/O."""
        with self._lock:
            frame, at = self._frame, self._frame_at
        if frame is None or time.monotonic() - at > max_age_s:
            return None
        return self._cropped(frame)

    def latest_after(self, since: float) -> Frame | None:
        """The newest frame if it was read after ``since`` (``time.monotonic()``), cropped; else None. Never waits: the
        station's lights (edge/stations/lights.py) poll it for the first frame taken under a light."""
        with self._lock:
            frame, at = self._frame, self._frame_at
        if frame is None or at < since:
            return None
        return self._cropped(frame)

    def _cropped(self, frame: Frame) -> Frame | None:
        if self.crop is None:
            return frame
        x, y, w, h = self.crop
        region = frame[y : y + h, x : x + w]
        if region.size == 0:
            if not self._warned_crop:
                logger.warning("camera crop %s lies outside the %dx%d frame", self.crop, frame.shape[1], frame.shape[0])
                self._warned_crop = True
            return None
        return region

    def close(self) -> None:
        self._stop.set()
        if self._thread is None:
            return
        # An IP camera's read can block up to NETWORK_TIMEOUT_MS; the thread is a daemon either way.
        self._thread.join(NETWORK_TIMEOUT_MS / 1000 + 1)
        if self._thread.is_alive():
            logger.warning("camera thread still in a read after close(); left to end on its own")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the capture thread --------------------------------------------------------------------------
    def _run(self) -> None:
        delay = self._retry_min_s
        while not self._stop.is_set():
            reader = self._open()
            if reader is None:
                self._open_failed = True
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry_max_s)
                continue
            self._open_failed = False
            try:
                gave_frames = self._pump(reader)
            finally:
                reader.release()
            if gave_frames:
                # It worked until now (a file came to its end, a cable was pulled): try again at once.
                delay = self._retry_min_s
            else:
                self._stop.wait(delay)
                delay = min(delay * 2, self._retry_max_s)

    def _pump(self, reader: _Reader) -> bool:
        """Read until the source fails or close(); True when it gave at least one frame."""
        gave_frames = False
        misses = 0
        while not self._stop.is_set():
            try:
                frame = reader.read()
            except cv2.error as exc:  # a decoder choking on a broken file or stream: one bad frame, not a crash
                logger.warning("camera %s: %s", self.source, exc)
                frame = None
            if frame is None:
                self.frames_failed += 1
                misses += 1
                if misses >= reader.max_misses:
                    # Warn once when a working source stops; a source that opens but never gives a frame
                    # would otherwise warn at every retry.
                    log = logger.warning if gave_frames else logger.debug
                    log("camera %s stopped giving frames; reopening", self.source)
                    return gave_frames
                continue
            misses = 0
            frame.flags.writeable = False
            now = time.monotonic()
            with self._lock:
                if self._frame is None or now - self._frame_at > self._fault_after_s:
                    logger.info("camera %s ok: %dx%d", self.source, frame.shape[1], frame.shape[0])
                self._frame, self._frame_at = frame, now
            gave_frames = True
            self.frames_read += 1
            if reader.pace_s > 0:
                self._stop.wait(reader.pace_s)
        return gave_frames

    def _open(self) -> _Reader | None:
        source = self.source
        if isinstance(source, int):
            return self._open_capture(source, live=True)
        text = str(source)
        if text.startswith(URL_SCHEMES):
            return self._open_capture(text, live=True)
        path = Path(text)
        if path.is_dir():
            files = _list_images(path)
            if not files:
                self._fail("camera folder %s has no images", path)
                return None
            return _FolderReader(path, files, self._sim_pace_s)
        if path.is_file():
            return self._open_capture(str(path), live=False)
        self._fail("camera source %s does not exist", path)
        return None

    def _open_capture(self, target: int | str, *, live: bool) -> _Reader | None:
        if isinstance(target, str) and target.startswith(URL_SCHEMES):
            timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC]
            capture = cv2.VideoCapture(target, cv2.CAP_ANY, [*timeouts, NETWORK_TIMEOUT_MS])
        else:
            capture = cv2.VideoCapture(target)
        if not capture.isOpened():
            capture.release()
            self._fail("camera %s does not open", target)
            return None
        if not live:
            fps = float(capture.get(cv2.CAP_PROP_FPS))
            pace_s = 1.0 / fps if 0 < fps <= MAX_FILE_FPS else self._sim_pace_s
            return _CaptureReader(capture, pace_s, loop=True)
        # A live source queues frames the thread has not read yet; one is enough, as only the newest counts.
        # Not every backend supports it (set() then returns False): the reading thread keeps the queue short
        # there anyway, by reading as fast as frames come.
        if not capture.set(cv2.CAP_PROP_BUFFERSIZE, 1):
            logger.debug("camera %s: backend %s ignores CAP_PROP_BUFFERSIZE", target, capture.getBackendName())
        return _CaptureReader(capture, 0.0, loop=False)

    def _fail(self, message: str, *args: object) -> None:
        self._failure = message % args
        # Warn on the change from working to failing, not on every retry of a camera that stays away (the
        # station agent reminds once a minute).
        if self._open_failed:
            logger.debug(message, *args)
        else:
            logger.warning(message + "; retrying", *args)
