"""Position: gpsd, serial NMEA, a fixed gantry position or a replayed NMEA log, and a GPS-corrected clock.

`build_position(cfg.gps, clock)` gives a `Position` (None for kind "none"); `fix_at(frame.captured_at)` gives
the fix at a frame's time. Source modules (pyserial, gpsd-py3) are imported only when built.
"""

from anpr.gps.base import GpsStatus, Position
from anpr.gps.clock import Clock, ClockStatus
from anpr.gps.factory import build_position

__all__ = ["Clock", "ClockStatus", "GpsStatus", "Position", "build_position"]
