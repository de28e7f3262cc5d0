"""A recorded NMEA log laid on a video's timeline, so replayed events carry the positions of the drive.

The log time `replay_log_start` (default: its first fix) is the video time `replay_start_time` (the
camera's start_time); `fix_at(t)` looks the log up at `t - shift` directly (no thread), and the fix it
returns is shifted back onto the video timeline. The log is read once, when the source is built.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from anpr.gps.base import GpsStatus
from anpr.gps.config import GpsConfig
from anpr.gps.nmea import NmeaParser
from anpr.gps.trail import FixTrack
from anpr.types import Fix

log = logging.getLogger(__name__)


def load_log(path: Path, *, min_year: int = 2024) -> tuple[list[Fix], NmeaParser]:
    """Every valid fix of an NMEA log file, in time order, and the parser (for its counters)."""
    parser = NmeaParser("replay", min_year=min_year, log_interval_s=3600)
    data = path.read_bytes()
    fixes = parser.feed(data) + parser.feed(b"\n") + parser.flush()
    return sorted(fixes, key=lambda f: f.fixed_at), parser


class ReplayPosition:
    def __init__(self, cfg: GpsConfig) -> None:
        self.cfg = cfg
        self.path = Path(cfg.replay_path)
        self.track = FixTrack(
            maxlen=None,
            max_age_s=cfg.max_age_s,
            max_gap_s=cfg.max_gap_s,
            extrapolate_max_s=cfg.extrapolate_max_s,
            max_speed_mps=cfg.max_speed_mps,
        )
        self.shift = timedelta(0)
        self.rejected = 0
        self.error = ""
        self._ok = self._bad = 0
        try:
            fixes, parser = load_log(self.path, min_year=cfg.min_valid_year)
        except OSError as err:
            self.error = f"cannot read the NMEA log: {err}"
            log.error("replay:%s: %s; events will carry no position", self.path, self.error)
            return
        self._ok, self._bad = parser.counters.sentences_ok, parser.counters.sentences_bad
        for fix in fixes:
            if self.track.add(fix) is not None:
                self.rejected += 1
        first = self.track.first()
        if first is None:
            self.error = "no valid fix in the NMEA log"
            log.error("replay:%s: %s (%d sentences, %d bad)", self.path, self.error, self._ok, self._bad)
            return
        log_start = cfg.replay_log_start or first.fixed_at
        self.shift = cfg.replay_start_time - log_start
        log.info(
            "replay:%s: %d fixes from %s, log %s = video %s",
            self.path,
            len(self.track),
            first.fixed_at,
            log_start,
            cfg.replay_start_time,
        )

    def start(self) -> None:
        pass

    def fix_at(self, t: datetime) -> Fix | None:
        fix = self.track.at(t - self.shift)
        return None if fix is None else replace(fix, fixed_at=fix.fixed_at + self.shift)

    def status(self) -> GpsStatus:
        last = self.track.last()
        return GpsStatus(
            source=f"replay:{self.path}",
            connected=last is not None,
            last_fix=None if last is None else replace(last, fixed_at=last.fixed_at + self.shift),
            fix_age_s=None,
            sentences_ok=self._ok,
            sentences_bad=self._bad,
            fixes=len(self.track),
            rejected=self.rejected,
            reconnects=0,
            clock_offset_s=None,
            clock_corrected=False,
            error=self.error,
        )

    def close(self) -> None:
        pass
