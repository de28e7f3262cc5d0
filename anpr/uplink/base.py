"""The interfaces the pipeline sees: where events go (`EventSink`) and what alerts the car (`AlertSink`)."""

from __future__ import annotations

from typing import Protocol

from anpr.types import PlateEvent


class EventSink(Protocol):
    def submit(self, event: PlateEvent) -> None:
        """Store `event` durably (committed before return; held in memory if the disk is full). Never raises."""
        ...

    def close(self, timeout: float = 5.0) -> None:
        """Flush what can be flushed within `timeout`, then stop threads."""
        ...


class AlertSink(Protocol):
    def alert(self, event: PlateEvent) -> None:
        """React to a hit at once (offline too); must not block the caller."""
        ...
