"""Is a GPS time believable? A receiver's date is refused before it can move the event clock.

Receivers get dates wrong in known ways: a GPS week-number rollover puts them 1024 weeks (19.6 years)
in the past, a cold or corrupt almanac decades ahead (a 2068 date was seen on a serial receiver).
A date is refused when it is before this release (no event can be older than the code that made it),
more than `max_years_after_release` after it, or further ahead of an NTP-synchronised system clock than
`max_ahead_s`. A refused fix is counted and never reaches the clock (`anpr.gps.clock`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

log = logging.getLogger(__name__)

RELEASE_DATE = date(2026, 12, 1)
"""The date of this release; bump it with each release (a test keeps it from being in the future)."""

_TIME_ERROR = 5  # adjtimex(2): the clock is not synchronised (STA_UNSYNC)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


def system_clock_synced() -> bool:
    """True when the kernel says NTP (timesyncd, chrony, ntpd) keeps the system clock in sync.

    Asks adjtimex(2) in read-only mode (modes = 0): it returns TIME_ERROR while unsynchronised.
    Python has no binding for it, hence ctypes; on any doubt the clock is not trusted.
    """
    libc = _libc()
    if libc is None:
        return False
    buf = ctypes.create_string_buffer(512)  # larger than struct timex on every Linux ABI; modes (offset 0) = 0
    state = libc.adjtimex(buf)
    return bool(state >= 0 and state != _TIME_ERROR)


def _system_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class TimeCheck:
    max_ahead_s: float = 600.0
    max_years_after_release: int = 15
    release: date = RELEASE_DATE
    synced: Callable[[], bool] = system_clock_synced
    now: Callable[[], datetime] = _system_now

    def why_not(self, t: datetime) -> str | None:
        """None when `t` is a believable GPS time, else why not (for the log)."""
        start = datetime(self.release.year, self.release.month, self.release.day, tzinfo=timezone.utc)
        if t < start:
            return f"date {t.date()} is before this release ({self.release}; GPS week rollover?)"
        if t > start + timedelta(days=365.25 * self.max_years_after_release):
            return f"date {t.date()} is more than {self.max_years_after_release} years after this release"
        if self.synced():
            ahead = (t - self.now()).total_seconds()
            if ahead > self.max_ahead_s:
                return f"time is {ahead:.0f} s ahead of the NTP-synchronised system clock"
        return None
