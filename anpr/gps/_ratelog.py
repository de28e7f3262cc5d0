"""A log line per kind of trouble at most every few seconds, with a count of what was held back.

A serial port full of noise can produce hundreds of bad lines a second; one line each would drown the
log and the SD card of a car, while silence would hide the fault. Counters live elsewhere (status).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._log = logger
        self._interval = interval_s
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def log(self, key: str, level: int, msg: str, *args: object) -> bool:
        """Log `msg % args` unless `key` was logged less than `interval_s` ago. True when it was logged."""
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval:
                self._held[key] = self._held.get(key, 0) + 1
                return False
            held = self._held.pop(key, 0)
            self._last[key] = now
        if held:
            self._log.log(level, msg + " (%d similar held back)", *args, held)
        else:
            self._log.log(level, msg, *args)
        return True
