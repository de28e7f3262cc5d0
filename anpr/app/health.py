"""The pipeline's live counters (`Health`): frames, reads, passages, hits, errors per stage and latencies,
per camera, thread-safe. `snapshot()` freezes them into the `HealthSnapshot` (anpr.app.status_record) that
the status file, the MQTT status message and the Prometheus endpoint report."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from anpr.app.status_record import CameraCounts, HealthSnapshot, Latency

STAGES = ("capture", "detect", "focus", "read", "hotlist", "gps", "alert", "outbox")
"""The stages whose errors are counted (`Health.error`); metrics report each from 0."""


@dataclass
class CameraHealth:
    frames: int = 0
    processed: int = 0
    queue_dropped: int = 0
    detections: int = 0
    reads: int = 0
    passages: int = 0
    unread: int = 0
    hits: int = 0
    last_frame_mono: float | None = None
    _stamps: deque[float] = field(default_factory=lambda: deque(maxlen=64))

    def fps(self) -> float:
        """Processed frames per second over the last (up to) 64 frames."""
        if len(self._stamps) < 2:
            return 0.0
        span = self._stamps[-1] - self._stamps[0]
        return (len(self._stamps) - 1) / span if span > 0 else 0.0


class Health:
    """Thread-safe counters; `snapshot()` is what status messages, metrics and `anpr status` show."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cams: dict[str, CameraHealth] = {}
        self._errors: Counter[str] = Counter()
        self._stage_ms: dict[str, deque[float]] = {}
        self._alert_ms: deque[float] = deque(maxlen=512)
        self.started_mono = time.monotonic()

    def _cam(self, camera_id: str) -> CameraHealth:
        cam = self._cams.get(camera_id)
        if cam is None:
            cam = self._cams[camera_id] = CameraHealth()
        return cam

    def frame_in(self, camera_id: str) -> None:
        with self._lock:
            cam = self._cam(camera_id)
            cam.frames += 1
            cam.last_frame_mono = time.monotonic()

    def dropped(self, camera_id: str) -> None:
        with self._lock:
            self._cam(camera_id).queue_dropped += 1

    def processed(self, camera_id: str, detections: int, reads: int) -> None:
        with self._lock:
            cam = self._cam(camera_id)
            cam.processed += 1
            cam.detections += detections
            cam.reads += reads
            cam._stamps.append(time.monotonic())

    def passage(self, camera_id: str) -> None:
        """A passage ended (its final event); hits are counted apart, when raised (`hit`)."""
        with self._lock:
            self._cam(camera_id).passages += 1

    def unread(self, camera_id: str) -> None:
        """A passage ended without a plate read (no consensus, or one at confidence 0): it sent no event."""
        with self._lock:
            self._cam(camera_id).unread += 1

    def hit(self, camera_id: str) -> None:
        """A hit was raised (early, final or on a re-check): counted now, not when its passage ends."""
        with self._lock:
            self._cam(camera_id).hits += 1

    def error(self, stage: str) -> int:
        """Count an error of `stage`; returns the running count (callers rate-limit their logs with it)."""
        with self._lock:
            self._errors[stage] += 1
            return self._errors[stage]

    def stage_time(self, stage: str, ms: float) -> None:
        with self._lock:
            self._stage_ms.setdefault(stage, deque(maxlen=1024)).append(ms)

    def alert_latency(self, ms: float) -> None:
        with self._lock:
            self._alert_ms.append(ms)

    def last_frame_age(self) -> float | None:
        """Seconds since any camera last delivered a frame (the watchdog's question)."""
        with self._lock:
            stamps = [c.last_frame_mono for c in self._cams.values() if c.last_frame_mono is not None]
        return time.monotonic() - max(stamps) if stamps else None

    def snapshot(self) -> HealthSnapshot:
        with self._lock:
            return HealthSnapshot(
                uptime_s=round(time.monotonic() - self.started_mono, 1),
                cameras={
                    cid: CameraCounts(
                        frames=c.frames,
                        processed=c.processed,
                        queue_dropped=c.queue_dropped,
                        detections=c.detections,
                        reads=c.reads,
                        passages=c.passages,
                        unread=c.unread,
                        hits=c.hits,
                        fps=round(c.fps(), 2),
                    )
                    for cid, c in self._cams.items()
                },
                errors=dict(self._errors),
                stage_ms={k: lat for k, v in self._stage_ms.items() if (lat := _percentiles(v)) is not None},
                alert_ms=_percentiles(self._alert_ms),
            )


def _percentiles(values: deque[float]) -> Latency | None:
    if not values:
        return None
    s = sorted(values)
    return Latency(round(s[len(s) // 2], 2), round(s[min(len(s) - 1, int(len(s) * 0.95))], 2), len(s))
