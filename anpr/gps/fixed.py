"""A gantry's surveyed position: always current, never stale."""

from __future__ import annotations

from datetime import datetime

from anpr.gps.base import GpsStatus
from anpr.gps.config import GpsConfig
from anpr.types import Fix


class FixedPosition:
    def __init__(self, cfg: GpsConfig) -> None:
        if cfg.fixed_lat is None or cfg.fixed_lon is None:
            raise ValueError("a fixed position needs fixed_lat and fixed_lon")
        self._lat, self._lon, self._heading = cfg.fixed_lat, cfg.fixed_lon, cfg.fixed_heading_deg
        self._last: Fix | None = None

    def start(self) -> None:
        pass

    def fix_at(self, t: datetime) -> Fix:
        fix = Fix(
            lat=self._lat,
            lon=self._lon,
            speed_mps=0.0,
            heading_deg=self._heading,
            hdop=None,
            mode="fixed",
            fixed_at=t,
            source="fixed",
        )
        self._last = fix
        return fix

    def status(self) -> GpsStatus:
        return GpsStatus(
            source=f"fixed:{self._lat:.6f},{self._lon:.6f}",
            connected=True,
            last_fix=self._last,
            fix_age_s=0.0 if self._last else None,
            sentences_ok=0,
            sentences_bad=0,
            fixes=0,
            rejected=0,
            reconnects=0,
            clock_offset_s=None,
            clock_corrected=False,
        )

    def close(self) -> None:
        pass
