"""Config of one camera (a `[[cameras]]` table)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from anpr.core.settings import Section

SourceKind = Literal["file", "images", "usb", "rtsp"]


class CameraConfig(Section):
    id: str = Field(
        default="cam0", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="camera id, used in topics and events"
    )
    kind: SourceKind = Field(default="file", description="file | images | usb | rtsp")
    uri: str = Field(
        default="sample_videos/gantry_day.mp4", description="video path, folder, device index/path, or rtsp:// URL"
    )
    width: int | None = Field(default=None, ge=16, le=8192, description="requested capture width (usb)")
    height: int | None = Field(default=None, ge=16, le=8192, description="requested capture height (usb)")
    fps: float | None = Field(
        default=None,
        gt=0,
        le=240,
        description="requested frame rate (usb); images: frames per second of the fake timeline",
    )
    fourcc: str | None = Field(default="MJPG", min_length=4, max_length=4, description="requested pixel format (usb)")
    start_time: datetime = Field(
        default=datetime.fromisoformat("2026-01-01T12:00:00+00:00"),
        description="file/images: wall-clock time of the first frame, so replays are deterministic",
    )
    open_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="rtsp/usb: give up opening after this long, then retry"
    )
    read_timeout_s: float = Field(
        default=5.0, gt=0, le=300, description="rtsp/usb: no frame for this long means the stream is dead"
    )
    backoff_initial_s: float = Field(
        default=0.5, gt=0, le=60, description="rtsp/usb: first reconnect delay; doubles per failure up to backoff_max_s"
    )
    backoff_max_s: float = Field(default=30.0, gt=0, le=3600, description="cap of the reconnect back-off")

    @model_validator(mode="after")
    def _uri_fits_kind(self) -> CameraConfig:
        uri = self.uri.strip()
        if not uri:
            raise ValueError(f"camera {self.id}: uri is empty; give a {self.kind} source")
        if self.kind == "rtsp" and not uri.lower().startswith(("rtsp://", "rtsps://")):
            raise ValueError(f"camera {self.id}: kind rtsp needs an rtsp:// URL, got {uri!r}")
        if self.kind == "usb" and not (uri.isdigit() or uri.startswith("/dev/")):
            raise ValueError(
                f'camera {self.id}: kind usb needs a device index ("0"), /dev/videoN or /dev/v4l/by-id/... path, '
                f"got {uri!r}"
            )
        if (self.width is None) != (self.height is None):
            raise ValueError(f"camera {self.id}: give both width and height, or neither")
        return self
