"""What the serial and gpsd sources share: a reader thread that reconnects with back-off, the ring of
recent fixes, the clock feed and the counters behind `status()`."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from datetime import datetime

from anpr.gps._ratelog import RateLimitedLog
from anpr.gps.base import GpsStatus
from anpr.gps.clock import Clock
from anpr.gps.config import GpsConfig
from anpr.gps.plausible import TimeCheck
from anpr.gps.trail import FixTrack
from anpr.types import Fix

log = logging.getLogger(__name__)

BACKOFF_START_S = 0.5


class LivePosition(ABC):
    kind = "live"

    def __init__(self, cfg: GpsConfig, clock: Clock) -> None:
        self.cfg = cfg
        self.clock = clock
        self.track = FixTrack(
            maxlen=cfg.ring_size,
            max_age_s=cfg.max_age_s,
            max_gap_s=cfg.max_gap_s,
            extrapolate_max_s=cfg.extrapolate_max_s,
            max_speed_mps=cfg.max_speed_mps,
        )
        self.rl = RateLimitedLog(log, cfg.log_interval_s)
        self.time_check = TimeCheck(max_ahead_s=cfg.max_ahead_s, max_years_after_release=cfg.max_years_after_release)
        self.implausible_time = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.connected = False
        self.reconnects = 0
        self.rejected = 0
        self.fixes = 0
        self.error = ""
        self._session_good = False

    # -- what a source implements ------------------------------------------------------------------

    @abstractmethod
    def describe(self) -> str:
        """e.g. 'serial:/dev/ttyACM0@9600'."""

    @abstractmethod
    def run_session(self, stop: threading.Event) -> None:
        """Connect, read until `stop` or the link fails (raise OSError/ConnectionError), then return."""

    @abstractmethod
    def counts(self) -> tuple[int, int]:
        """(sentences ok, sentences bad)."""

    def interrupt(self) -> None:
        """Unblock a session waiting on I/O (called from close()); by default the session polls `stop`."""
        return None

    # -- shared machinery --------------------------------------------------------------------------

    def add_fix(self, fix: Fix) -> None:
        """A real fix arrived live: keep it and tell the clock what time it is (when the time is believable)."""
        implausible = self.time_check.why_not(fix.fixed_at)
        if implausible is not None:
            self.rejected += 1
            self.implausible_time += 1
            self.rl.log("time", logging.WARNING, "%s: fix refused, %s", self.describe(), implausible)
            return
        why = self.track.add(fix)
        if why is not None:
            self.rejected += 1
            self.rl.log("reject", logging.WARNING, "%s: fix at %s rejected: %s", self.describe(), fix.fixed_at, why)
            return
        self.fixes += 1
        self._session_good = True
        self.clock.observe(fix.fixed_at)

    def set_error(self, key: str, msg: str, *args: object, level: int = logging.WARNING) -> None:
        self.error = msg % args if args else msg
        self.rl.log(key, level, "%s: " + msg, self.describe(), *args)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"gps-{self.kind}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        backoff = BACKOFF_START_S
        while not self._stop.is_set():
            self._session_good = False
            try:
                self.run_session(self._stop)
            except Exception as err:  # a reader thread must outlive any fault of the device or the library
                if not self._stop.is_set():
                    self.set_error("session", "link lost or unavailable (%s: %s)", type(err).__name__, err)
            finally:
                self.connected = False
            if self._stop.is_set():
                break
            if self._session_good:
                backoff = BACKOFF_START_S
            self.reconnects += 1
            log.debug("%s: reconnecting in %.1f s", self.describe(), backoff)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.cfg.backoff_max_s)

    def fix_at(self, t: datetime) -> Fix | None:
        return self.track.at(t)

    def status(self) -> GpsStatus:
        last = self.track.last()
        ok, bad = self.counts()
        clock = self.clock.status()
        age = None if last is None else (self.clock.now() - last.fixed_at).total_seconds()
        return GpsStatus(
            source=self.describe(),
            connected=self.connected,
            last_fix=last,
            fix_age_s=age,
            sentences_ok=ok,
            sentences_bad=bad,
            fixes=self.fixes,
            rejected=self.rejected,
            reconnects=self.reconnects,
            clock_offset_s=clock.offset_s,
            clock_corrected=clock.corrected,
            error=self.error,
        )

    def close(self) -> None:
        self._stop.set()
        self.interrupt()
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive():
                log.warning("%s: reader thread did not stop within 5 s", self.describe())
            self._thread = None
