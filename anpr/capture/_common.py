"""Small pieces every source shares: thread-safe counters, capped back-off, rate-limited warnings."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Any

from anpr.capture.base import SourceStats


class StatsCounter:
    """Mutable counters behind a lock; `snapshot()` gives the frozen `SourceStats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = SourceStats()

    def add(self, **deltas: int) -> None:
        with self._lock:
            s = self._stats
            self._stats = dataclasses.replace(s, **{k: getattr(s, k) + v for k, v in deltas.items()})

    def set_connected(self, connected: bool) -> None:
        with self._lock:
            self._stats = dataclasses.replace(self._stats, connected=connected)

    def snapshot(self) -> SourceStats:
        with self._lock:
            return self._stats


class Backoff:
    """Capped exponential back-off: initial, 2x, 4x ... up to `cap` seconds; `reset()` after a success."""

    def __init__(self, initial_s: float, cap_s: float) -> None:
        self.initial_s = min(initial_s, cap_s)
        self.cap_s = cap_s
        self._next = self.initial_s

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2.0, self.cap_s)
        return delay

    def reset(self) -> None:
        self._next = self.initial_s


class RateLimitedLog:
    """Logs a repeated warning at most once per `interval_s` per key, reporting how many were held back.

    A camera that stays unplugged for a night must not write a line per retry.
    """

    def __init__(self, logger: logging.Logger, interval_s: float = 60.0) -> None:
        self._log = logger
        self._interval_s = interval_s
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def warning(self, key: str, msg: str, *args: Any) -> None:
        self.log(logging.WARNING, key, msg, *args)

    def log(self, level: int, key: str, msg: str, *args: Any, exc_info: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval_s:
                self._held[key] = self._held.get(key, 0) + 1
                return
            held = self._held.pop(key, 0)
            self._last[key] = now
        if held:
            self._log.log(level, msg + " (%d similar messages suppressed)", *args, held, exc_info=exc_info)
        else:
            self._log.log(level, msg, *args, exc_info=exc_info)
