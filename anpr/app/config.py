"""One TOML file, validated with pydantic. Built-in defaults run the bundled demo with no file at all.

Each section's model lives beside the code it configures (`anpr/<stage>/config.py`); this module only
assembles them and turns validation errors into messages a technician can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from anpr.app.metrics_config import MetricsConfig
from anpr.capture.config import CameraConfig
from anpr.core.datafiles import default_state_dir
from anpr.core.settings import ConfigError as ConfigError  # re-exported: callers catch it from here
from anpr.core.settings import Section, read_toml, validate
from anpr.detect.config import DetectorConfig
from anpr.gps.config import GpsConfig
from anpr.hotlist.config import HotlistConfig
from anpr.ocr.config import ReaderConfig
from anpr.track.config import TrackerConfig
from anpr.uplink.config import UplinkConfig


class AppConfig(Section):
    device_id: str = Field(
        default="demo", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="this unit's id in topics and events"
    )
    state_dir: str = Field(
        default_factory=default_state_dir,
        min_length=1,
        description="folder for the outbox, hotlist and other state (default: $XDG_STATE_HOME/anpr, else "
        "~/.local/state/anpr; the units use /var/lib/anpr; a relative path is from the working folder)",
    )
    log_level: str = Field(
        default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$", description="DEBUG | INFO | WARNING | ERROR"
    )
    cameras: tuple[CameraConfig, ...] = Field(
        default=(CameraConfig(),), min_length=1, description="one table per camera"
    )
    inference_workers: int = Field(
        default=1,
        ge=1,
        le=2,
        description="1: detect, then read and track, one frame after the other (the detector uses its own threads); "
        "2: detect the next frame while this one is read and tracked (same events; measured slower on a quiet "
        "2-core x86, see docs/performance.md; try it on a 4-core Pi with `anpr bench pipeline --all --workers 2`)",
    )
    live_queue_frames: int = Field(
        default=3,
        ge=1,
        le=8,
        description="frames a live camera may queue for the worker (1: only the newest); a few absorb the "
        "frames the detector runs on (measured: 20-30 % more frames processed than 1, docs/performance.md)",
    )
    live_max_wait_ms: int = Field(
        default=250,
        ge=0,
        le=5000,
        description="a live frame that waited longer than this is dropped for a newer one of its camera "
        "(bounds what the queue adds to alert latency)",
    )
    # Factories, not instances: their model paths are resolved (anpr.core.datafiles) from the working folder
    # of each load, not of the import.
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    reader: ReaderConfig = Field(default_factory=ReaderConfig)
    tracker: TrackerConfig = TrackerConfig()
    hotlist: HotlistConfig = HotlistConfig()
    gps: GpsConfig = GpsConfig()
    uplink: UplinkConfig = UplinkConfig()
    metrics: MetricsConfig = MetricsConfig()

    @field_validator("device_id")
    @classmethod
    def _not_hotlist(cls, v: str) -> str:
        if v == "hotlist":  # {prefix}/hotlist/... carries the signed lists (and the broker tool refuses the name)
            raise ValueError("device_id 'hotlist' is reserved for the hotlist topics; choose another")
        return v

    @model_validator(mode="after")
    def _unique_camera_ids(self) -> AppConfig:
        ids = [c.id for c in self.cameras]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"camera ids must be unique, repeated: {', '.join(dupes)}")
        return self


def from_dict(data: dict[str, Any], source: str = "config") -> AppConfig:
    """Build and validate a config from a dict (what tests and the TOML loader use)."""
    return validate(AppConfig, data, source)


def load(path: str | Path | None) -> AppConfig:
    """Load a TOML file, or the built-in defaults when `path` is None."""
    if path is None:
        return AppConfig()
    return from_dict(read_toml(path), str(path))
