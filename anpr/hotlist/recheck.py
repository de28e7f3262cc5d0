"""Reads of the last minutes, kept so a list update can find a car that passed before the list caught up."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from anpr.types import Candidate


@dataclass(slots=True)
class RememberedRead:
    event_id: str
    plate: str
    format: str
    candidates: tuple[Candidate, ...]
    seen_at: datetime
    arrived: float
    """time.monotonic() when remembered: the window counts from arrival, so replayed video works too."""
    match_key: tuple[str, str, str] | None
    """(plate, list_name, kind) of the match it had, so a re-check reports only what is new."""


class RecentReads:
    """A bounded, thread-safe window of reads (by age and by count)."""

    def __init__(self, window_s: float, max_reads: int) -> None:
        self.window_s = window_s
        self._reads: deque[RememberedRead] = deque(maxlen=max(max_reads, 1))
        self._enabled = window_s > 0 and max_reads > 0
        self._lock = threading.Lock()

    def add(
        self,
        event_id: str,
        plate: str,
        fmt: str,
        candidates: Sequence[Candidate],
        seen_at: datetime,
        match_key: tuple[str, str, str] | None,
    ) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        with self._lock:
            self._prune(now)
            self._reads.append(RememberedRead(event_id, plate, fmt, tuple(candidates), seen_at, now, match_key))

    def snapshot(self) -> list[RememberedRead]:
        with self._lock:
            self._prune(time.monotonic())
            return list(self._reads)

    def __len__(self) -> int:
        with self._lock:
            return len(self._reads)

    def _prune(self, now: float) -> None:
        while self._reads and now - self._reads[0].arrived > self.window_s:
            self._reads.popleft()
