"""An IP camera over RTSP, through OpenCV's FFmpeg backend.

TCP transport (RTP over the RTSP connection: no lost UDP packets smearing plates, passes NAT and
firewalls), open and read time-outs so a dead camera is noticed, and the reconnect/newest-frame
machinery of `LiveSource`.
"""

from __future__ import annotations

import logging
import os

import cv2

from anpr.capture.config import CameraConfig
from anpr.capture.live import LiveSource
from anpr.core.redact import redact

log = logging.getLogger(__name__)

FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
# fpsprobesize 0: FFmpeg's stream probe otherwise reads 20 frames (0.8 s at 25 fps) to guess a frame rate
# that nothing here uses (frames are stamped when grabbed), then hands them over in one burst, of which the
# live queue keeps 3: what passed in the first 0.8 s after every (re)connect was never looked at.
LIVE_OPTIONS = "rtsp_transport;tcp|fpsprobesize;0"


_warned: set[str] = set()


def _warn_own_options(options: str) -> None:
    """Once per value: the operator's FFmpeg options replace ours, and what that costs."""
    if options in _warned:
        return
    _warned.add(options)
    log.warning(
        "%s is set (%r): it replaces anpr's %r for every RTSP camera%s",
        FFMPEG_OPTIONS_ENV,
        options,
        LIVE_OPTIONS,
        ""
        if "fpsprobesize" in options
        else "; without fpsprobesize;0 the first ~0.8 s of each (re)connect "
        "arrives in one burst that the worker mostly drops",
    )


class RtspSource(LiveSource):
    """Newest frames of an RTSP stream; reconnects with capped back-off, never ends on its own."""

    def __init__(self, cfg: CameraConfig) -> None:
        super().__init__(cfg)
        self.url = cfg.uri
        # OpenCV reads its FFmpeg options only from this (process-wide) variable, at open time. An
        # operator's own setting wins; otherwise force TCP (OpenCV's default merely prefers it).
        options = os.environ.setdefault(FFMPEG_OPTIONS_ENV, LIVE_OPTIONS)
        if options != LIVE_OPTIONS:
            _warn_own_options(options)

    @property
    def describe(self) -> str:
        return redact(self.url)

    def _open(self) -> cv2.VideoCapture | None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(self.cfg.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(self.cfg.read_timeout_s * 1000),
        ]
        cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            return None
        return cap
