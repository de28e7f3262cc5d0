"""A clock the events can trust: the system clock while it agrees with GPS, GPS time when it plainly does not.

A patrol car's Pi has no real-time clock and may boot with no network: its clock then says 1970 (or the
last shutdown time), and every event would carry that. Position sources report each fix's GPS time here;
the clock keeps the offset (GPS - system) and, when the system clock is before `min_year` or further than
`max_offset_s` from GPS, answers GPS time carried forward on the monotonic clock (immune to the system
clock being stepped later by NTP). What `now()` returns never goes backwards within a run; when a
correction would step back (system clock was ahead), it holds until real time catches up.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class ClockStatus:
    offset_s: float | None
    """GPS time minus system time (median of recent fixes, includes the receiver's output latency)."""
    corrected: bool
    """True while `now()` answers GPS time instead of the system clock."""
    reason: str
    held: int
    """How many times `now()` held still rather than step backwards."""


class Clock:
    def __init__(
        self,
        now: Callable[[], datetime] = _system_now,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        min_year: int = 2024,
        max_offset_s: float = 60.0,
        window: int = 15,
    ) -> None:
        self._sys_now = now
        self._mono = monotonic
        self._min_year = min_year
        self._max_offset_s = max_offset_s
        # Medians over recent fixes, so one corrupt GPS time (valid checksum, wrong date) moves nothing.
        self._offsets: deque[float] = deque(maxlen=window)  # GPS - system, seconds
        self._mono_offsets: deque[float] = deque(maxlen=window)  # GPS (POSIX seconds) - monotonic
        self._corrected = False
        self._reason = "no GPS time yet"
        self._last: datetime | None = None
        self._held = 0
        self._lock = threading.Lock()

    def observe(self, gps_time: datetime) -> None:
        """Record a GPS time that is 'now' (a live fix just received). Not for replayed logs."""
        if gps_time.tzinfo is None:
            raise ValueError("gps_time must be timezone-aware")
        sys_now, mono = self._sys_now(), self._mono()
        offset = (gps_time - sys_now).total_seconds()
        with self._lock:
            self._offsets.append(offset)
            self._mono_offsets.append(gps_time.timestamp() - mono)
            median = statistics.median(self._offsets)
            if sys_now.year < self._min_year:
                corrected, reason = True, f"system clock says {sys_now.year}, before {self._min_year}"
            elif abs(median) > self._max_offset_s:
                corrected, reason = True, f"system clock is {median:+.1f} s from GPS time"
            else:
                corrected, reason = False, "system clock agrees with GPS time"
            changed = corrected != self._corrected
            self._corrected, self._reason = corrected, reason
        if changed:
            log.warning("clock: %s; event times now use %s", reason, "GPS time" if corrected else "the system clock")

    def now(self) -> datetime:
        """Current UTC time, GPS-corrected when the system clock is not to be trusted; never decreasing."""
        with self._lock:
            if self._corrected and self._mono_offsets:
                posix = self._mono() + statistics.median(self._mono_offsets)
                t = EPOCH + timedelta(seconds=posix)
            else:
                t = self._sys_now()
            if self._last is not None and t < self._last:
                self._held += 1
                t = self._last
            self._last = t
            return t

    def status(self) -> ClockStatus:
        with self._lock:
            offset = statistics.median(self._offsets) if self._offsets else None
            return ClockStatus(offset_s=offset, corrected=self._corrected, reason=self._reason, held=self._held)
