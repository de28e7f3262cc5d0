"""Where an annotated replay's frames go: a video file a browser plays.

`.mp4` (and `.mov`/`.mkv`) is H.264 (yuv420p, `+faststart`): through PyAV's bundled FFmpeg when PyAV is
installed (`anpr[report]`), else through the `ffmpeg` binary when there is one. Without either, OpenCV's
MPEG-4 Part 2 (`mp4v`), which plays in VLC but in no browser, with a warning saying so. `.avi` is
Motion-JPEG through OpenCV, as before.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from anpr.types import Image

log = logging.getLogger(__name__)


class VideoError(Exception):
    """The video cannot be written (no codec, unwritable path); the message says which."""


class FrameWriter(Protocol):
    codec: str

    def write(self, img: Image) -> None: ...

    def close(self) -> None: ...


def _even(n: int) -> int:
    return n - n % 2  # yuv420p needs even sides: the last odd row/column is dropped


class _PyAV:
    codec = "h264"

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        import av

        try:
            self._box = av.open(str(path), "w", options={"movflags": "+faststart"})
            stream: Any = self._box.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        except (av.FFmpegError, OSError, ValueError) as err:
            raise VideoError(f"{path}: cannot write H.264 with PyAV ({err})") from None
        stream.width, stream.height = _even(size[0]), _even(size[1])
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        self._stream = stream
        self._av = av

    def write(self, img: Image) -> None:
        h, w = self._stream.height, self._stream.width
        frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:h, :w]), format="bgr24")
        for packet in self._stream.encode(frame):
            self._box.mux(packet)

    def close(self) -> None:
        for packet in self._stream.encode():
            self._box.mux(packet)
        self._box.close()


class _FfmpegBinary:
    codec = "h264"

    def __init__(self, exe: str, path: Path, fps: float, size: tuple[int, int]) -> None:
        self._size = (_even(size[0]), _even(size[1]))
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - ffmpeg's stderr until close()
        cmd = [exe, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
               "-s", f"{self._size[0]}x{self._size[1]}", "-r", f"{fps:g}", "-i", "-", "-c:v", "libx264",
               "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", "23", "-movflags", "+faststart",
               str(path)]  # fmt: skip
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._err)
        self.path = path

    def write(self, img: Image) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(np.ascontiguousarray(img[: self._size[1], : self._size[0]]).tobytes())
        except BrokenPipeError:
            raise VideoError(f"{self.path}: ffmpeg stopped: {self._stderr()}") from None

    def _stderr(self) -> str:
        self._err.seek(0)
        return self._err.read()[-500:].decode("utf-8", "replace").strip()

    def close(self) -> None:
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        rc = self._proc.wait(timeout=120)
        why = self._stderr()
        self._err.close()
        if rc != 0:
            raise VideoError(f"{self.path}: ffmpeg exited with {rc}: {why}")


class _OpenCV:
    def __init__(self, path: Path, fps: float, size: tuple[int, int], fourcc: str) -> None:
        import cv2

        self.codec = fourcc.lower()
        self._w = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
        if not self._w.isOpened():
            raise VideoError(f"{path}: OpenCV cannot write this video (unwritable path, or use .mp4/.avi)")

    def write(self, img: Image) -> None:
        self._w.write(img)

    def close(self) -> None:
        self._w.release()


def open_video(path: Path, fps: float, size: tuple[int, int]) -> FrameWriter:
    """A writer for `path` at `fps` and `size` (width, height). Raises `VideoError`."""
    if path.suffix.lower() == ".avi":
        return _OpenCV(path, fps, size, "MJPG")
    try:
        import av  # noqa: F401
    except ImportError:
        pass
    else:
        return _PyAV(path, fps, size)
    exe = shutil.which("ffmpeg")
    if exe is not None:
        return _FfmpegBinary(exe, path, fps, size)
    log.warning(
        "%s: neither PyAV (pip install 'anpr[report]') nor ffmpeg is installed: writing MPEG-4 Part 2, "
        "which VLC plays but browsers do not", path,
    )  # fmt: skip
    return _OpenCV(path, fps, size, "mp4v")
