"""Config of the position source (`[gps]`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from anpr.core.settings import Section

GpsKind = Literal["none", "gpsd", "serial", "fixed", "replay"]
STANDARD_BAUDS = (4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


class GpsConfig(Section):
    kind: GpsKind = Field(default="none", description="position source: none | gpsd | serial | fixed | replay")
    max_age_s: float = Field(default=5.0, gt=0, le=3600, description="a fix further than this from a real fix is stale")
    ring_size: int = Field(default=120, ge=2, le=100_000, description="live sources: how many recent fixes are kept")
    max_gap_s: float = Field(
        default=10.0, gt=0, le=3600, description="interpolate only between fixes closer than this; else nearest fix"
    )
    extrapolate_max_s: float = Field(
        default=2.0, ge=0, le=60, description="dead-reckon from speed and heading at most this far past the last fix"
    )
    max_speed_mps: float = Field(
        default=150.0, gt=0, le=2000, description="a fix implying a faster jump from the previous one is rejected"
    )
    min_valid_year: int = Field(
        default=2024, ge=1980, le=2100, description="GPS dates before this are rejected (week-rollover receivers)"
    )
    max_ahead_s: float = Field(
        default=600.0,
        gt=0,
        le=86400 * 365,
        description="GPS time this far ahead of an NTP-synchronised clock is refused",
    )
    max_years_after_release: int = Field(
        default=15, ge=1, le=100, description="GPS dates this many years past the software's release are refused"
    )
    backoff_max_s: float = Field(default=30.0, gt=0, le=3600, description="cap of the reconnect back-off")
    log_interval_s: float = Field(
        default=30.0, ge=0, le=3600, description="at most one log line per kind of fault per this"
    )
    clock_max_offset_s: float = Field(
        default=60.0, gt=0, le=86400, description="system clock further than this from GPS time is replaced by GPS time"
    )

    serial_port: str = Field(
        default="/dev/ttyACM0", min_length=1, description="serial: device path (a udev symlink is best)"
    )
    serial_baud: int = Field(default=9600, description="serial: baud rate tried first")
    serial_baud_autodetect: bool = Field(
        default=True, description="serial: when nothing parses for no_sentence_timeout_s, try the next standard baud"
    )
    no_sentence_timeout_s: float = Field(
        default=5.0, gt=0, le=600, description="serial: no valid sentence for this long logs an error (wrong baud?)"
    )

    gpsd_host: str = Field(default="127.0.0.1", min_length=1, description="gpsd: host")
    gpsd_port: int = Field(default=2947, ge=1, le=65535, description="gpsd: TCP port")
    gpsd_poll_s: float = Field(default=0.25, gt=0, le=60, description="gpsd: poll interval")
    gpsd_timeout_s: float = Field(default=5.0, gt=0, le=300, description="gpsd: no answer for this long = reconnect")

    fixed_lat: float | None = Field(default=None, ge=-90, le=90, description="fixed: surveyed latitude, degrees")
    fixed_lon: float | None = Field(default=None, ge=-180, le=180, description="fixed: surveyed longitude, degrees")
    fixed_heading_deg: float | None = Field(
        default=None, ge=0, lt=360, description="fixed: direction the camera looks along the road, degrees from north"
    )

    replay_path: str = Field(default="sample_videos/patrol.nmea", min_length=1, description="replay: NMEA log file")
    replay_start_time: datetime = Field(
        default=datetime.fromisoformat("2026-01-01T12:00:00+00:00"),
        description="replay: video time that the log time replay_log_start maps to (the camera's start_time)",
    )
    replay_log_start: datetime | None = Field(
        default=None, description="replay: log (GPS) time that maps to replay_start_time; default: the log's first fix"
    )

    @field_validator("serial_baud")
    @classmethod
    def _standard_baud(cls, v: int) -> int:
        if v not in STANDARD_BAUDS:
            raise ValueError(f"serial_baud must be one of {', '.join(map(str, STANDARD_BAUDS))}")
        return v

    @field_validator("replay_start_time", "replay_log_start")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-01-01T12:00:00Z")
        return v

    @model_validator(mode="after")
    def _fixed_needs_position(self) -> GpsConfig:
        if self.kind == "fixed" and (self.fixed_lat is None or self.fixed_lon is None):
            raise ValueError("kind = 'fixed' needs fixed_lat and fixed_lon (the surveyed position)")
        return self
