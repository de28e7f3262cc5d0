"""The uplink the pipeline talks to: alert at once, commit to the outbox, let the publisher deliver."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from anpr.types import PlateEvent
from anpr.uplink.alerts import LocalAlerts
from anpr.uplink.base import AlertSink, EventSink
from anpr.uplink.config import UplinkConfig
from anpr.uplink.outbox import Outbox
from anpr.uplink.outbox_schema import OutboxStats
from anpr.uplink.reserve import DiskReserve
from anpr.uplink.wire import event_to_json

log = logging.getLogger(__name__)

DAY = 86400.0


class UplinkSink:
    """`EventSink` over an `Outbox`, with an optional publisher and alert sink passed in built."""

    def __init__(
        self,
        outbox: Outbox,
        publisher: Any | None = None,
        alerts: AlertSink | None = None,
        *,
        maintenance_s: float = 2.0,
        purge_every_s: float = 3600.0,
    ) -> None:
        self.outbox = outbox
        self.publisher = publisher
        self.alerts = alerts
        self.submitted = 0
        self.errors = 0
        self._stop = threading.Event()
        self._maintenance_s = maintenance_s
        self._purge_every_s = purge_every_s
        self._thread = threading.Thread(target=self._maintain, name="anpr-outbox", daemon=True)
        self._thread.start()
        if publisher is not None:
            publisher.start()

    def submit(self, event: PlateEvent) -> None:
        try:
            if event.kind == "hit" and self.alerts is not None:
                self.alerts.alert(event)  # before the disk: the officer should not wait for an fsync
            self.outbox.put(event.event_id, event.kind, event_to_json(event))
            if event.kind == "hit" and event.match is not None:
                e = event.match.entry
                self.outbox.audit(
                    "hit",
                    {
                        "event_id": event.event_id,
                        "plate": event.plate,
                        "entry": e.plate,
                        "list": e.list_name,
                        "match": event.match.kind,
                        "camera": event.camera_id,
                    },
                )
            self.submitted += 1
        except Exception:  # never raise into the pipeline; a bad event is a bug to log, not a crash
            self.errors += 1
            log.exception("uplink could not take event %s", getattr(event, "event_id", "?"))
            return
        if self.publisher is not None:
            self.publisher.wake()

    def submit_many(self, events: list[PlateEvent]) -> None:
        """Like `submit` for several events (e.g. one frame's passages) with a single commit."""
        try:
            for ev in events:
                if ev.kind == "hit" and self.alerts is not None:
                    self.alerts.alert(ev)
            self.outbox.put_many([(ev.event_id, ev.kind, event_to_json(ev)) for ev in events])
            self.submitted += len(events)
        except Exception:
            self.errors += 1
            log.exception("uplink could not take %d event(s)", len(events))
            return
        if self.publisher is not None:
            self.publisher.wake()

    def _maintain(self) -> None:
        last_purge = 0.0
        while not self._stop.wait(self._maintenance_s):
            try:
                busy = self.outbox.disk_full or self.outbox.stats().in_memory
                if busy and self.outbox.retry_spill() == 0 and self.publisher is not None:
                    self.publisher.wake()
                if time.monotonic() - last_purge >= self._purge_every_s:
                    last_purge = time.monotonic()
                    self.outbox.purge()
            except Exception:
                log.exception("outbox maintenance failed")

    def audit(self, kind: str, detail: Mapping[str, Any]) -> None:
        self.outbox.audit(kind, detail)

    def outbox_stats(self) -> OutboxStats:
        return self.outbox.stats()

    def mqtt_stats(self) -> dict[str, Any] | None:
        return None if self.publisher is None else dict(self.publisher.stats())

    def close(self, timeout: float = 5.0) -> tuple[int, int]:
        self._stop.set()
        if self.publisher is not None:
            self.publisher.close(timeout)
        if self.alerts is not None and hasattr(self.alerts, "close"):
            self.alerts.close(1.0)
        self._thread.join(1.0)
        hits, reads = self.outbox.close()  # tries once more to write what memory holds
        if hits or reads:
            log.critical("LOST at exit: %d hit(s) and %d read(s) could not be written (disk full)", hits, reads)
        return hits, reads


def outbox_path(cfg: UplinkConfig, state_dir: str | Path) -> Path:
    return Path(state_dir) / cfg.outbox  # an absolute `outbox` overrides state_dir


def disk_reserve(cfg: UplinkConfig, state_dir: str | Path) -> DiskReserve:
    """The reserve file beside the outbox (`uplink.disk_reserve_mb`)."""
    return DiskReserve(outbox_path(cfg, state_dir).parent, int(cfg.disk_reserve_mb * (1 << 20)))


def open_outbox(cfg: UplinkConfig, state_dir: str | Path, **kw: Any) -> Outbox:
    return Outbox(
        outbox_path(cfg, state_dir),
        max_bytes=cfg.outbox_max_bytes,
        read_retention_s=cfg.read_retention_days * DAY,
        hit_retention_s=cfg.hit_retention_days * DAY,
        audit_retention_s=cfg.audit_retention_days * DAY,
        spill_max=cfg.memory_spill_max,
        reserve=disk_reserve(cfg, state_dir),
        **kw,
    )


def build_alerts(cfg: UplinkConfig, sink: EventSink | None = None) -> LocalAlerts:
    """The in-car alerts; each alert raised is written to `sink`'s audit trail when one is given."""
    return LocalAlerts(cfg, audit=None if sink is None else sink.audit)


def build_uplink(
    cfg: UplinkConfig,
    device_id: str,
    state_dir: str | Path,
    status_provider: Callable[[], dict[str, Any]] | None = None,
    *,
    alerts: AlertSink | None = None,
    outbox: Outbox | None = None,
) -> UplinkSink:
    """Outbox + (publisher if `cfg.enabled`) + `alerts` if given (the sink then alerts hits on submit).

    Leave `alerts` None when the pipeline alerts hits itself (early, before the passage ends).
    Raises PublisherError on an unusable TLS or password setting.
    """
    box = outbox or open_outbox(cfg, state_dir)
    publisher = None
    if cfg.enabled:
        from anpr.uplink.mqtt import MqttPublisher  # paho only when publishing

        try:
            publisher = MqttPublisher(cfg, box, device_id, status_provider)
        except Exception:
            box.close()
            raise
    return UplinkSink(box, publisher, alerts)
