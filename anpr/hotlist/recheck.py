"""Reads of the last minutes, kept so a list update can find a car that passed before the list caught up."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from anpr.hotlist.base import RecheckHit
from anpr.types import Candidate, HotlistMatch, PlateRead

MatchFn = Callable[[PlateRead], HotlistMatch | None]


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

    def remember(
        self,
        event_id: str,
        plate: str,
        fmt: str,
        candidates: Sequence[Candidate],
        seen_at: datetime,
        match: MatchFn,
    ) -> None:
        """Keep a read with the match it has now, so a re-check reports only what a list update added."""
        if self._enabled:
            self.add(event_id, plate, fmt, candidates, seen_at, _key(match(_as_read(plate, candidates, fmt))))

    def recheck(self, match: MatchFn) -> list[RecheckHit]:
        """Match the remembered reads again; return the hits that are new since each read was remembered."""
        hits: list[RecheckHit] = []
        for r in self.snapshot():
            m = match(_as_read(r.plate, r.candidates, r.format))
            key = _key(m)
            if m is not None and key != r.match_key:
                hits.append(RecheckHit(r.event_id, r.plate, r.seen_at, m))
            r.match_key = key
        return hits

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


def _key(m: HotlistMatch | None) -> tuple[str, str, str] | None:
    return (m.entry.plate, m.entry.list_name, m.kind) if m else None


def _as_read(plate: str, candidates: Sequence[Candidate], fmt: str) -> PlateRead:
    alts = tuple(c for c in candidates if c.text != plate)
    return PlateRead(plate, 1.0, (), plate, fmt, alts)
