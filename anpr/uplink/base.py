"""The interfaces the pipeline sees: where events go (`EventSink`) and what alerts the car (`AlertSink`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from anpr.types import PlateEvent
from anpr.uplink.outbox_schema import OutboxStats


class EventSink(Protocol):
    def submit(self, event: PlateEvent) -> None:
        """Store `event` durably (committed before return; held in memory if the disk is full). Never raises."""
        ...

    def audit(self, kind: str, detail: Mapping[str, Any]) -> None:
        """Append a row to the audit trail (alerts raised, hits), kept `audit_retention_days`."""
        ...

    def outbox_stats(self) -> OutboxStats:
        """What waits for delivery, for `anpr status` and the metrics."""
        ...

    def mqtt_stats(self) -> dict[str, Any] | None:
        """The publisher's counters (connected, published, ...); None when nothing is published."""
        ...

    def close(self, timeout: float = 5.0) -> tuple[int, int]:
        """Flush what can be flushed within `timeout`, then stop threads. Returns the hits and reads lost
        (held only in memory because the disk stayed full); the daemon's exit code says so, and it records
        them for its next start (anpr.app.last_exit)."""
        ...


class AlertSink(Protocol):
    def alert(self, event: PlateEvent) -> None:
        """React to a hit at once (offline too); must not block the caller."""
        ...
