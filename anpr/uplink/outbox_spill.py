"""Events held in memory while the outbox's disk refuses writes: bounded, reads dropped first (and
counted), never a hit; oldest first, so they are written down in the order they came."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from anpr.uplink.outbox_schema import QueuedEvent


class Spill:
    """Not thread-safe: the `Outbox` holds its lock around every call."""

    def __init__(self, max_events: int) -> None:
        self.max_events = max_events
        self.evicted_reads = 0
        self._held: OrderedDict[str, QueuedEvent] = OrderedDict()

    def add(self, item: QueuedEvent) -> None:
        self._held[item.event_id] = item
        while len(self._held) > self.max_events:
            victim = next((k for k, v in self._held.items() if v.kind == "read"), None)
            if victim is None:
                break  # only hits left: memory is the lesser evil
            del self._held[victim]
            self.evicted_reads += 1

    def first(self) -> QueuedEvent:
        return next(iter(self._held.values()))

    def discard(self, event_id: str) -> bool:
        """Forget `event_id` (written down, or delivered); True when it was held."""
        return self._held.pop(event_id, None) is not None

    def events(self) -> list[QueuedEvent]:
        return list(self._held.values())

    def count(self, kind: str) -> int:
        return sum(e.kind == kind for e in self._held.values())

    def __len__(self) -> int:
        return len(self._held)

    def __iter__(self) -> Iterator[QueuedEvent]:
        return iter(self._held.values())
