"""A USB (UVC) camera through OpenCV's V4L2 backend.

NOT TESTED HERE: the build and CI machines have no camera. The path is kept deliberately thin: it only
opens the device and requests size/fps/pixel format; grabbing, the newest-frame mailbox, drop counting
and reconnect with back-off (an unplugged camera is retried and logged, never a crash) are the shared
`LiveSource` code that the RTSP tests exercise against a real server.
"""

from __future__ import annotations

import logging
import os

import cv2

from anpr.capture.base import SourceError
from anpr.capture.config import CameraConfig
from anpr.capture.live import LiveSource

log = logging.getLogger(__name__)


def parse_device(uri: str) -> int | str:
    """`"0"` -> index 0; `/dev/video0` or `/dev/v4l/by-id/...` stay paths. Raise `SourceError` otherwise."""
    text = uri.strip()
    if text.isdigit():
        return int(text)
    if text.startswith("/dev/"):
        return text
    raise SourceError(
        f'usb camera {uri!r} is not a device: use an index ("0"), /dev/videoN or a stable '
        "/dev/v4l/by-id/... path (list them with `v4l2-ctl --list-devices`)"
    )


class UsbSource(LiveSource):
    """Newest frames of a V4L2 camera at the requested size, fps and pixel format (MJPG by default)."""

    def __init__(self, cfg: CameraConfig) -> None:
        super().__init__(cfg)
        self.device = parse_device(cfg.uri)
        self._reported = False

    @property
    def describe(self) -> str:
        return f"camera {self.device}"

    def _open(self) -> cv2.VideoCapture | None:
        target = self.device
        if isinstance(target, str):
            if not os.path.exists(target):
                return None  # unplugged: the by-id link disappears with the camera
            # A by-id link may point at another /dev/videoN after a replug; resolve it at every open.
            target = os.path.realpath(target)
        cap = cv2.VideoCapture(target, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            return None
        cfg = self.cfg
        # Pixel format first: the sizes and rates a UVC camera offers depend on it (MJPG allows more).
        if cfg.fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*cfg.fourcc))
        if cfg.width and cfg.height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, cfg.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, cfg.height)
        if cfg.fps:
            cap.set(cv2.CAP_PROP_FPS, cfg.fps)
        if not self._reported:  # the camera may silently pick another mode; say once what we got
            self._reported = True
            log.info(
                "%s: %s gives %dx%d at %.1f fps",
                self.camera_id,
                self.describe,
                int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                cap.get(cv2.CAP_PROP_FPS),
            )
        return cap
