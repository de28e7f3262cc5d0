"""Helpers for the capture tests: small real videos made with OpenCV, and a real RTSP server process."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
RTSP_SCRIPT = REPO / "scripts" / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"

# Frame i carries i in binary as BITS black/white squares along the top: survives lossy coding.
BITS = 8
CELL = 32


def draw_frame(i: int, width: int, height: int) -> np.ndarray:
    img = np.full((height, width, 3), 60, np.uint8)
    for b in range(BITS):
        if (i >> b) & 1:
            img[0:CELL, b * CELL : (b + 1) * CELL] = 255
        else:
            img[0:CELL, b * CELL : (b + 1) * CELL] = 0
    cv2.putText(img, str(i), (20, height - 30), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (255, 255, 255), 4)
    return img


def frame_number(img: np.ndarray) -> int:
    """Read back the number `draw_frame` encoded."""
    n = 0
    for b in range(BITS):
        patch = img[8 : CELL - 8, b * CELL + 8 : (b + 1) * CELL - 8]
        if float(patch.mean()) > 128:
            n |= 1 << b
    return n


def write_video(path: Path, n: int = 64, width: int = 320, height: int = 240, fps: float = 25.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    for i in range(n):
        writer.write(draw_frame(i, width, height))
    writer.release()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gst_rtsp_unusable() -> str | None:
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} missing"
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    res = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        return (
            "GStreamer RTSP server unusable (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0): "
            + (res.stderr.strip().splitlines() or ["?"])[-1]
        )
    return None


class RtspServer:
    """The real gst-rtsp-server (scripts/rtsp_server.py) as a subprocess on a loopback port."""

    def __init__(self, port: int, log_path: Path, args: tuple[str, ...] = ()) -> None:
        """`args`: more of the script's options (`--video CLIP --passthrough`: a clip's own H.264, as a camera
        encodes it); by default a live 320x240 test pattern at 25 fps."""
        self.port = port
        self._args = args
        self.url = f"rtsp://127.0.0.1:{port}/cam"
        self._log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        log = self._log_path.open("ab")
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(RTSP_SCRIPT), str(self.port), *self._args], stdout=subprocess.PIPE, stderr=log
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        line = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        if not line.startswith(b"READY"):
            self.kill()
            pytest.fail(f"RTSP server did not start: {self._log_path.read_text(errors='replace')[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: the camera dies without saying goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None


def have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None
