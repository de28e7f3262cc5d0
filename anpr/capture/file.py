"""Replay of a recorded video file: every frame in order, timestamps from the container.

`captured_at` is `cfg.start_time` plus the frame's presentation timestamp (PTS), so two replays of a
file give the same frames with the same timestamps, whatever the speed of the machine. Frames the
decoder cannot decode mid-file are counted in `stats().corrupt` and skipped; the timeline of the frames
after them is still their own PTS.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import cast

import cv2

from anpr.capture._common import RateLimitedLog, StatsCounter
from anpr.capture.base import SourceError, SourceStats
from anpr.capture.config import CameraConfig
from anpr.types import Frame, Image

log = logging.getLogger(__name__)

# A failed read is either a corrupt frame (the next read succeeds) or the end of the file. After this
# many failures in a row it is the end, or damage too long to skip through.
MAX_CONSECUTIVE_FAILURES = 50
DEFAULT_FPS = 25.0


def check_readable_file(path: Path, what: str) -> None:
    """Raise a `SourceError` that says what to do when `path` is not a readable, non-empty file."""
    if not path.exists():
        raise SourceError(f"{what} {path} does not exist; check the camera's `uri` (relative to {Path.cwd()})")
    if not path.is_file():
        raise SourceError(f'{what} {path} is not a file; for a folder of photos use kind = "images"')
    try:
        with path.open("rb") as fh:
            empty = not fh.read(1)
    except OSError as err:
        raise SourceError(f"{what} {path} cannot be read: {err.strerror}; check its permissions") from None
    if empty:
        raise SourceError(f"{what} {path} is empty (0 bytes); re-copy or re-record it")


def open_video_file(path: Path) -> cv2.VideoCapture:
    """Open `path` with OpenCV's FFmpeg backend or raise a `SourceError` naming the file."""
    check_readable_file(path, "video file")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise SourceError(
            f"video file {path} cannot be decoded (truncated, corrupt or not a video); "
            f"check it with `ffprobe {path}`, or re-encode it with `ffmpeg -i {path} -c:v libx264 fixed.mp4`"
        )
    return cap


class FileSource:
    """Frames of a video file, in order, deterministic. Raises `SourceError` at construction when the
    file is missing or has no decodable frame."""

    live = False

    def __init__(self, cfg: CameraConfig) -> None:
        self.camera_id = cfg.id
        self.path = Path(cfg.uri)
        self._start = cfg.start_time
        self._stats = StatsCounter()
        self._warn = RateLimitedLog(log, interval_s=10.0)
        self._lock = threading.Lock()
        self._prev_ms: float | None = None
        self._cap: cv2.VideoCapture | None = open_video_file(self.path)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if math.isfinite(fps) and fps > 0 else (cfg.fps or DEFAULT_FPS)
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else None
        # Decode the first frame now so that a file with no decodable frame fails here, not mid-run.
        self._first = self._read_next()
        if self._first is None:
            self.close()
            raise SourceError(
                f"video file {self.path} opened but no frame could be decoded; "
                f"check it with `ffprobe {self.path}` or re-encode it"
            )
        self._stats.set_connected(True)
        log.info(
            "%s: replaying %s (%s frames at %.2f fps)", self.camera_id, self.path, self.frame_count or "?", self.fps
        )

    def _read_next(self) -> tuple[int, float, Image] | None:
        """Next decodable frame as (frame index, PTS in ms, image), or None at the end."""
        cap = self._cap
        if cap is None:
            return None
        s = self._stats.snapshot()
        base = s.grabbed + s.corrupt  # index of the next frame in the file
        failures = 0
        while failures < MAX_CONSECUTIVE_FAILURES:
            ok, image = cap.read()
            if ok and image is not None:
                if failures:
                    self._stats.add(corrupt=failures)
                    self._warn.warning(
                        "corrupt", "%s: skipped %d undecodable frame(s) in %s", self.camera_id, failures, self.path
                    )
                self._stats.add(grabbed=1)
                return base + failures, cap.get(cv2.CAP_PROP_POS_MSEC), cast(Image, image)
            failures += 1
        return None

    def _timestamp_ms(self, index: int, pts_ms: float, prev_ms: float | None) -> float:
        # OpenCV reports 0 when a frame has no PTS; then (or when PTS run backwards) fall back to the
        # frame's place on a constant-rate clock.
        missing = not math.isfinite(pts_ms) or pts_ms < 0 or (index > 0 and pts_ms == 0.0)
        if missing or (prev_ms is not None and pts_ms <= prev_ms):
            return index * 1000.0 / self.fps
        return pts_ms

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        # Decode only when the consumer asks for the next frame: a consumer that breaks out of the loop
        # loses nothing, and a later frames() call continues from the same place.
        while not stop.is_set():
            with self._lock:
                item, self._first = self._first, None
                if item is None:
                    item = self._read_next()
            if item is None:
                break
            index, pts_ms, image = item
            ms = self._timestamp_ms(index, pts_ms, self._prev_ms)
            self._prev_ms = ms
            seq = self._stats.snapshot().frames
            self._stats.add(frames=1)
            yield Frame(self.camera_id, seq, self._start + timedelta(milliseconds=ms), image)
        if stop.is_set():
            return
        self._stats.set_connected(False)
        s = self._stats.snapshot()
        log.info("%s: end of %s: %d frames, %d corrupt skipped", self.camera_id, self.path, s.frames, s.corrupt)
        if self.frame_count is not None and s.grabbed + s.corrupt < self.frame_count:
            # Not counted as corrupt: for some containers the count is only an estimate (duration x fps).
            log.warning(
                "%s: %s ends after %d of the %d frames its header lists; the file may be truncated",
                self.camera_id,
                self.path,
                s.grabbed + s.corrupt,
                self.frame_count,
            )

    def stats(self) -> SourceStats:
        return self._stats.snapshot()

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None
        self._stats.set_connected(False)
