"""Builds the position source `[gps] kind` names."""

from __future__ import annotations

from anpr.gps.base import Position
from anpr.gps.clock import Clock
from anpr.gps.config import GpsConfig

KINDS = ("none", "gpsd", "serial", "fixed", "replay")


def build_position(cfg: GpsConfig, clock: Clock | None = None) -> Position | None:
    """The source `cfg.kind` names (None for "none"). Live sources report GPS time to `clock` (pass the
    pipeline's clock so event timestamps are corrected; a private one is made otherwise)."""
    if cfg.kind == "none":
        return None
    if cfg.kind == "fixed":
        from anpr.gps.fixed import FixedPosition

        return FixedPosition(cfg)
    if cfg.kind == "replay":
        from anpr.gps.replay import ReplayPosition

        return ReplayPosition(cfg)
    clock = clock or Clock(min_year=cfg.min_valid_year, max_offset_s=cfg.clock_max_offset_s)
    if cfg.kind == "serial":
        from anpr.gps.serial_source import SerialPosition

        return SerialPosition(cfg, clock)
    if cfg.kind == "gpsd":
        from anpr.gps.gpsd_source import GpsdPosition

        return GpsdPosition(cfg, clock)
    raise ValueError(f"unknown gps kind {cfg.kind!r}; valid: {', '.join(KINDS)}")
