"""A time-ordered track of real fixes and the fix at any moment: interpolated, dead-reckoned or nearest.

Pure logic with a lock, no I/O: live sources keep a bounded ring of recent fixes, replay keeps the whole
log, and both answer `at(t)` the same way.
"""

from __future__ import annotations

import bisect
import math
import threading
from dataclasses import replace
from datetime import datetime

from anpr.types import Fix, FixMode

EARTH_M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)
_MODE_RANK: dict[FixMode, int] = {"2d": 0, "3d": 1, "fixed": 2}


def _wrap180(d: float) -> float:
    return (d + 540.0) % 360.0 - 180.0


def distance_m(lat0: float, lon0: float, lat1: float, lon1: float) -> float:
    """Equirectangular distance: exact enough for the metres-to-kilometres steps between fixes."""
    x = _wrap180(lon1 - lon0) * math.cos(math.radians((lat0 + lat1) / 2))
    return math.hypot(x, lat1 - lat0) * EARTH_M_PER_DEG


def interpolate(a: Fix, b: Fix, t: datetime) -> Fix:
    """The fix at `t` between `a` and `b` (a.fixed_at <= t <= b.fixed_at), linear in lat/lon and speed,
    along the short way round for longitude and heading; hdop and mode are the worse of the two."""
    span = (b.fixed_at - a.fixed_at).total_seconds()
    f = 0.0 if span <= 0 else min(1.0, max(0.0, (t - a.fixed_at).total_seconds() / span))
    lon = a.lon + f * _wrap180(b.lon - a.lon)
    lon = _wrap180(lon) if abs(lon) > 180 else lon
    speed = None if a.speed_mps is None or b.speed_mps is None else a.speed_mps + f * (b.speed_mps - a.speed_mps)
    if a.heading_deg is None or b.heading_deg is None:
        heading = a.heading_deg if f < 0.5 else b.heading_deg
    else:
        heading = (a.heading_deg + f * _wrap180(b.heading_deg - a.heading_deg)) % 360.0
    hdops = [h for h in (a.hdop, b.hdop) if h is not None]
    nearest = a if f <= 0.5 else b
    return replace(
        nearest,
        lat=a.lat + f * (b.lat - a.lat),
        lon=lon,
        speed_mps=speed,
        heading_deg=heading,
        hdop=max(hdops) if hdops else None,
        mode=min(a.mode, b.mode, key=_MODE_RANK.__getitem__),
    )


def dead_reckon(a: Fix, seconds: float) -> Fix:
    """Move `a` along its heading at its speed for `seconds` (position unchanged without both)."""
    if a.speed_mps is None or a.heading_deg is None or seconds <= 0:
        return a
    d = a.speed_mps * seconds
    h = math.radians(a.heading_deg)
    lat = a.lat + d * math.cos(h) / EARTH_M_PER_DEG
    coslat = max(math.cos(math.radians(a.lat)), 1e-6)
    lon = _wrap180(a.lon + d * math.sin(h) / (EARTH_M_PER_DEG * coslat))
    return replace(a, lat=max(-90.0, min(90.0, lat)), lon=lon)


class FixTrack:
    """Real fixes ordered by GPS time. `maxlen=None` keeps everything (replay)."""

    def __init__(
        self, *, maxlen: int | None, max_age_s: float, max_gap_s: float, extrapolate_max_s: float, max_speed_mps: float
    ) -> None:
        self._maxlen = maxlen
        self._max_age_s = max_age_s
        self._max_gap_s = max_gap_s
        self._extrapolate_max_s = extrapolate_max_s
        self._max_speed_mps = max_speed_mps
        self._times: list[datetime] = []
        self._fixes: list[Fix] = []
        self._rejected_in_row = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._fixes)

    def add(self, fix: Fix) -> str | None:
        """Insert a real fix. Returns None when accepted, else why it was not (duplicate, jump)."""
        with self._lock:
            i = bisect.bisect_left(self._times, fix.fixed_at)
            if i < len(self._times) and self._times[i] == fix.fixed_at:
                return "duplicate time"
            prev = self._fixes[i - 1] if i else None
            if prev is not None:
                dt = (fix.fixed_at - prev.fixed_at).total_seconds()
                jump = distance_m(prev.lat, prev.lon, fix.lat, fix.lon)
                # A single wild fix is noise; several in a row mean the receiver really is there now
                # (e.g. after a tunnel, or the previous one was the wrong one).
                if dt <= self._max_gap_s and jump > self._max_speed_mps * max(dt, 1.0) and self._rejected_in_row < 3:
                    self._rejected_in_row += 1
                    return f"jump of {jump:.0f} m in {dt:.1f} s"
            self._rejected_in_row = 0
            self._times.insert(i, fix.fixed_at)
            self._fixes.insert(i, fix)
            if self._maxlen is not None and len(self._fixes) > self._maxlen:
                del self._times[0], self._fixes[0]
            return None

    def last(self) -> Fix | None:
        with self._lock:
            return self._fixes[-1] if self._fixes else None

    def first(self) -> Fix | None:
        with self._lock:
            return self._fixes[0] if self._fixes else None

    def fixes(self) -> list[Fix]:
        with self._lock:
            return list(self._fixes)

    def at(self, t: datetime) -> Fix | None:
        """The fix at `t`; `age_s` = |t - nearest real fix|, `stale` when that exceeds max_age_s."""
        with self._lock:
            if not self._fixes:
                return None
            i = bisect.bisect_left(self._times, t)
            before = self._fixes[i - 1] if i > 0 else None
            after = self._fixes[i] if i < len(self._fixes) else None
        if after is not None and after.fixed_at == t:
            out, age = after, 0.0
        elif before is not None and after is not None:
            d0 = (t - before.fixed_at).total_seconds()
            d1 = (after.fixed_at - t).total_seconds()
            age = min(d0, d1)
            if (after.fixed_at - before.fixed_at).total_seconds() <= self._max_gap_s:
                out = interpolate(before, after, t)
            else:
                out = before if d0 <= d1 else after
        elif before is not None:
            age = (t - before.fixed_at).total_seconds()
            out = dead_reckon(before, age) if age <= self._extrapolate_max_s else before
        else:
            assert after is not None
            out, age = after, (after.fixed_at - t).total_seconds()
        return replace(out, age_s=age, stale=age > self._max_age_s)
