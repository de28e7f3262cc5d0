"""The `Position` protocol every position source implements, and its status. Sources import this module;
it imports none of them (they are built by `anpr.gps.factory`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from anpr.types import Fix


@dataclass(frozen=True, slots=True)
class GpsStatus:
    """A snapshot of a source's health, for `anpr gps status`, the status topic and logs."""

    source: str
    """Kind and where from, e.g. ``serial:/dev/ttyACM0@9600`` or ``gpsd:127.0.0.1:2947``."""
    connected: bool
    last_fix: Fix | None
    """The newest real fix (GPS time in `fixed_at`)."""
    fix_age_s: float | None
    """Clock time now minus `last_fix.fixed_at` (None without a fix)."""
    sentences_ok: int
    sentences_bad: int
    fixes: int
    rejected: int
    """Fixes dropped as implausible (a jump faster than max_speed_mps, a duplicate time)."""
    reconnects: int
    clock_offset_s: float | None
    """GPS time minus system time; None until a live fix arrived (never for fixed and replay)."""
    clock_corrected: bool
    error: str = ""
    """The latest fault in words ('' when none), e.g. 'no sentence parsed for 5 s at 9600 baud'."""


@runtime_checkable
class Position(Protocol):
    """Where the unit is at a given moment.

    `fix_at(t)` answers from the fixes around `t` (interpolated between two, dead-reckoned a little past
    the last, otherwise the nearest), with `age_s` = |t - nearest real fix|. A fix with `age_s` above
    `max_age_s` comes back with `stale=True`: it is NOT the current position and must not be published
    as one (the pipeline attaches `None`, or the stale fix flagged as such). No fix at all gives None.
    `t` is in the timebase of `Clock.now()` (GPS-corrected UTC when the system clock is wrong); for
    replay it is the video's timeline.
    """

    def start(self) -> None:
        """Start the reader thread, if any. Never raises for a missing device: it logs and retries."""
        ...

    def fix_at(self, t: datetime) -> Fix | None: ...

    def status(self) -> GpsStatus: ...

    def close(self) -> None: ...
