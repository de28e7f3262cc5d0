"""A folder of photos, sorted by file name, as a stream of frames on a fake constant-rate timeline.

Frame i is stamped `cfg.start_time + i / fps` (fps defaults to 1), so runs are deterministic. Files that
are not images or cannot be decoded are logged once each, counted in `stats().corrupt` and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from anpr.capture._common import StatsCounter
from anpr.capture.base import SourceError, SourceStats
from anpr.capture.config import CameraConfig
from anpr.types import Frame, Image

log = logging.getLogger(__name__)

DEFAULT_FPS = 1.0


def decode_image(path: Path) -> Image | None:
    """The BGR image in `path`, or None when it is not a decodable image.

    `imdecode` on the bytes (rather than `imread`) reads non-ASCII paths and does not print OpenCV's
    own warnings for non-image files.
    """
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return cast(Image, image) if image is not None and image.size > 0 else None


class ImagesSource:
    """Every decodable photo of a folder, in file-name order."""

    live = False

    def __init__(self, cfg: CameraConfig) -> None:
        self.camera_id = cfg.id
        self.folder = Path(cfg.uri)
        if not self.folder.is_dir():
            raise SourceError(
                f"image folder {self.folder} does not exist or is not a folder; "
                f'check the camera\'s `uri` (relative to {Path.cwd()}); for a video use kind = "file"'
            )
        self.fps = cfg.fps or DEFAULT_FPS
        self._start = cfg.start_time
        # Hidden files (.DS_Store, editor temp files) are not photos anyone meant to include.
        self.paths = sorted(p for p in self.folder.iterdir() if p.is_file() and not p.name.startswith("."))
        if not self.paths:
            raise SourceError(f"image folder {self.folder} has no files; put .jpg/.png photos in it")
        self._next = 0
        self._stats = StatsCounter()
        self._stats.set_connected(True)

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        # Position kept on the source: a later frames() call continues where a previous one stopped.
        while self._next < len(self.paths):
            if stop.is_set():
                return
            path = self.paths[self._next]
            self._next += 1
            image = decode_image(path)
            if image is None:
                self._stats.add(corrupt=1)
                log.warning("%s: skipping %s: not an image or cannot be decoded", self.camera_id, path)
                continue
            seq = self._stats.snapshot().frames
            self._stats.add(grabbed=1, frames=1)
            yield Frame(self.camera_id, seq, self._start + timedelta(seconds=seq / self.fps), image)
        self._stats.set_connected(False)
        s = self._stats.snapshot()
        log.info("%s: end of %s: %d images, %d skipped", self.camera_id, self.folder, s.frames, s.corrupt)

    def stats(self) -> SourceStats:
        return self._stats.snapshot()

    def close(self) -> None:
        self._stats.set_connected(False)
