"""In-car alerts for hotlist hits: a log line, a sound, and a command hook. They work with no network.

`alert` returns at once: the log line is written inline, the sound player and the hook run from a
worker thread, so a slow or hung hook never stalls the pipeline (it is killed after its timeout).
Covert entries never alert locally (the control room still gets the hit). An early hit and the final
event of the same passage alert once.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import subprocess
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from anpr.types import PlateEvent
from anpr.uplink.config import UplinkConfig
from anpr.uplink.wire import event_to_json

log = logging.getLogger(__name__)
# Longer than this between the frame and its alert is no capture-to-alert time: the frame time came from
# a recorded video (its configured start_time) or a clock that is off. A late hit from a list re-check
# (minutes after the car passed) still fits, so the figure says how late the officer learnt of it.
_MAX_LATENCY_S = 3600.0

AuditFn = Callable[[str, Mapping[str, Any]], None]


def find_player(preferred: str | None) -> list[str] | None:
    """argv prefix of a system sound player: the configured one, else paplay, else aplay (-q)."""
    if preferred:
        parts = preferred.split()
        return parts if shutil.which(parts[0]) else None
    for name, args in (("paplay", []), ("aplay", ["-q"])):
        if shutil.which(name):
            return [name, *args]
    return None


class LocalAlerts:
    """The default `AlertSink`."""

    def __init__(
        self,
        cfg: UplinkConfig | None = None,
        *,
        command: Sequence[str] | None = None,
        command_timeout_s: float | None = None,
        sound: str | None = None,
        player: str | None = None,
        log_line: bool | None = None,
        audit: AuditFn | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        """Settings come from `cfg` (the `[uplink]` section); a keyword given here overrides it."""
        cfg = cfg or UplinkConfig()
        self.command = tuple(cfg.alert_command if command is None else command)
        self.command_timeout_s = cfg.alert_command_timeout_s if command_timeout_s is None else command_timeout_s
        self.sound = sound or cfg.alert_sound
        player = player or cfg.alert_player
        self.log_line = cfg.alert_log if log_line is None else log_line
        self._audit = audit
        self._clock = clock
        if self.sound and not os.access(self.sound, os.R_OK):
            log.warning(
                "alert sound file %s is missing or unreadable (uplink.alert_sound); hits alert without sound",
                self.sound,
            )
            self.sound = None
        self._player = find_player(player) if self.sound else None
        if self.sound and self._player is None:
            log.warning(
                "alert sound %s configured but no player (%s) found; hits alert without sound",
                self.sound,
                player or "paplay/aplay",
            )
        self.repeat_s = cfg.alert_repeat_s
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._plates: dict[str, datetime] = {}  # plate -> when it last alerted
        self.repeats = 0
        self._lock = threading.Lock()
        self.latencies_s: deque[float] = deque(maxlen=512)  # the latest: a daemon alerts for months
        self.failures = 0
        self._jobs: queue.Queue[PlateEvent | None] = queue.Queue(maxsize=256)
        self._worker: threading.Thread | None = None
        if self.command or self._player:
            self._worker = threading.Thread(target=self._run, name="anpr-alerts", daemon=True)
            self._worker.start()

    def alert(self, event: PlateEvent) -> None:
        match = event.match
        if event.kind != "hit" or match is None or match.entry.covert:
            return
        key = (event.camera_id, event.passage_id)
        with self._lock:
            if key in self._seen:
                return
            self._seen[key] = None
            if len(self._seen) > 1024:
                self._seen.popitem(last=False)
        now = self._clock()
        if self._repeat(event.plate, now):
            return
        elapsed = (now - event.last_seen).total_seconds()
        # A recorded video's frame times (or a wrong clock) give no capture-to-alert figure.
        latency = elapsed if 0 <= elapsed < _MAX_LATENCY_S else None
        if latency is not None:
            self.latencies_s.append(latency)
        if self.log_line:
            log.warning(
                "HIT %s (%s match of %s, list %s, priority %d): %s; camera %s; capture-to-alert %s",
                event.plate,
                match.kind,
                match.entry.plate,
                match.entry.list_name,
                match.entry.priority,
                match.entry.reason,
                event.camera_id,
                "n/a" if latency is None else f"{latency * 1000:.0f} ms",
            )
        if self._audit is not None:
            lat = None if latency is None else round(latency, 4)
            self._audit("alert", {"event_id": event.event_id, "plate": event.plate, "latency_s": lat})
        if self._worker is not None:
            try:
                self._jobs.put_nowait(event)
            except queue.Full:
                self.failures += 1
                log.error("alert queue full; sound/hook skipped for %s", event.event_id)

    def _repeat(self, plate: str, now: datetime) -> bool:
        """A car seen again within `repeat_s` (a passage the tracker split, a second camera, the car
        stopped in view) is the same alarm: one log line, no new sound or hook. Its event is still sent."""
        with self._lock:
            last = self._plates.get(plate)
            if last is not None and 0 <= (now - last).total_seconds() < self.repeat_s:
                self.repeats += 1
                log.info("hit %s again, %.1f s after its alert: no new alarm", plate, (now - last).total_seconds())
                return True
            self._plates[plate] = now
            if len(self._plates) > 1024:
                cutoff = now - timedelta(seconds=self.repeat_s)
                self._plates = {p: t for p, t in self._plates.items() if t >= cutoff}
            return False

    def _run(self) -> None:
        while (event := self._jobs.get()) is not None:
            if self._player and self.sound:
                self._spawn([*self._player, self.sound], None, "sound")
            if self.command:
                self._spawn(list(self.command), event_to_json(event) + b"\n", "hook")

    def _spawn(self, argv: list[str], stdin: bytes | None, what: str) -> None:
        try:
            res = subprocess.run(argv, input=stdin, capture_output=True, timeout=self.command_timeout_s, check=False)
        except subprocess.TimeoutExpired:
            self.failures += 1
            log.error("alert %s %s killed after %.1f s", what, argv[0], self.command_timeout_s)
            return
        except OSError as err:
            self.failures += 1
            log.error("alert %s %s could not start: %s", what, argv[0], err)
            return
        if res.returncode != 0:
            self.failures += 1
            log.error(
                "alert %s %s exited %d: %s", what, argv[0], res.returncode, res.stderr[-300:].decode(errors="replace")
            )

    def close(self, timeout: float = 5.0) -> None:
        if self._worker is not None:
            try:
                self._jobs.put(None, timeout=timeout)
            except queue.Full:
                return
            self._worker.join(timeout)
