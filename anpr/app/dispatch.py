"""Where a plate event goes once built: the in-car alert (hits), the durable outbox, the caller's callback,
and a short memory of recent events for the hotlist's late re-checks.

Called from the inference worker and from the hotlist's sync thread (a re-check hit), so one lock keeps an
event's alert, queueing and count together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from anpr.app.health import Health
from anpr.app.stages import Stages
from anpr.core.ids import new_event_id
from anpr.types import PlateEvent

if TYPE_CHECKING:
    from anpr.hotlist.base import RecheckHit

log = logging.getLogger(__name__)

_RECENT_EVENTS = 2000  # events kept for hotlist re-checks (the re-check window holds far fewer)


class Dispatcher:
    """Alerts, queues and counts events; raises a late hit when a hotlist update matches a recent event."""

    def __init__(self, stages: Stages, health: Health, guarded: Callable[[str, Callable[[], object]], object]) -> None:
        self._stages = stages
        self._health = health
        self._guarded = guarded  # the pipeline's: times the call, counts and logs a failure, never raises
        self._lock = threading.RLock()
        self._recent: OrderedDict[str, PlateEvent] = OrderedDict()
        self.events_emitted = 0
        if stages.matcher is not None:
            stages.matcher.add_recheck_listener(self.on_recheck)

    def dispatch(self, event: PlateEvent, *, alert: bool, queued_mono: float | None) -> None:
        """Alert (hits), queue durably, and report one event."""
        stages = self._stages
        with self._lock:
            if event.kind == "hit" and alert and stages.alerts is not None:
                alerts = stages.alerts
                self._guarded("alert", lambda: alerts.alert(event))
                if queued_mono is not None:
                    self._health.alert_latency((time.monotonic() - queued_mono) * 1000.0)
            if stages.sink is not None:
                sink = stages.sink
                self._guarded("outbox", lambda: sink.submit(event))
            if stages.on_event is not None:
                stages.on_event(event)
            self.events_emitted += 1
            self._recent[event.event_id] = event
            while len(self._recent) > _RECENT_EVENTS:
                self._recent.popitem(last=False)

    def on_recheck(self, hit: RecheckHit) -> None:
        """A hotlist update matched a read seen earlier: raise the hit now, as a new event."""
        with self._lock:
            original = self._recent.get(hit.event_id)
        if original is None:
            log.warning("re-check hit for %s (event %s) but the read is no longer held", hit.plate, hit.event_id)
            return
        log.warning(
            "late hotlist hit: %s seen at %s matches %s", hit.plate, hit.seen_at.isoformat(), hit.match.entry.plate
        )
        now = datetime.now(timezone.utc)
        event = replace(original, event_id=new_event_id(now), kind="hit", match=hit.match, final=True)
        self._health.hit(event.camera_id)
        self.dispatch(event, alert=True, queued_mono=None)
