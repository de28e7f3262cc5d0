"""Config of one camera (a `[[cameras]]` table)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from anpr._config_base import Section

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
    roi: tuple[int, int, int, int] | None = Field(
        default=None, description="x1, y1, x2, y2: region the detector looks at"
    )
    open_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="rtsp/usb: give up opening after this long, then retry"
    )
    read_timeout_s: float = Field(
        default=5.0, gt=0, le=300, description="rtsp/usb: no frame for this long means the stream is dead"
    )
    backoff_max_s: float = Field(default=30.0, gt=0, le=3600, description="cap of the reconnect back-off")
