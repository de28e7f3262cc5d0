"""The hand-off between capture threads and the inference worker.

Replayed files block when the queue is full (every frame is processed, deterministically); live
cameras never block: when a camera already has `live_depth` frames queued its oldest is dropped and
counted, so a slow worker makes the car skip frames rather than fall behind the road.

Why a live camera may queue more than one frame: the worker's cost per frame is bursty (a frame the
detector runs on takes 50 ms here, one it skips under 1 ms), so a one-slot hand-off drops the frame that
arrives during a detection even when the worker is idle half the time. A few slots absorb the burst:
measured on the sample clips streamed over RTSP at their own rate (`anpr bench live`), depth 3 processed
20-30 % more frames than depth 1 for 10-60 ms more alert latency. The wait stays bounded: a live frame older than
`live_max_wait_s` is dropped when the worker comes to it, unless it is its camera's newest (under
sustained overload the worker then takes the newest frame, as a one-slot queue would).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from anpr.types import Frame


@dataclass(slots=True)
class _Item:
    frame: Frame
    queued: float  # monotonic seconds
    live: bool


class FrameQueue:
    def __init__(
        self,
        maxsize: int,
        live_depth: int = 1,
        live_max_wait_s: float | None = None,
        on_stale: Callable[[str], None] | None = None,
    ) -> None:
        """`on_stale(camera_id)` is told of each live frame dropped for waiting too long (put's own drops
        are its return value)."""
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        if live_depth < 1:
            raise ValueError(f"live_depth must be >= 1, got {live_depth}")
        if live_max_wait_s is not None and live_max_wait_s < 0:
            raise ValueError(f"live_max_wait_s must be >= 0, got {live_max_wait_s}")
        self._maxsize = maxsize
        self._live_depth = live_depth
        self._max_wait = live_max_wait_s
        self._on_stale = on_stale
        self._items: deque[_Item] = deque()
        self._cond = threading.Condition()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def put(self, frame: Frame, *, live: bool, stop: threading.Event | None = None) -> bool:
        """Queue a frame. Returns False when a live frame displaced an older one (a drop)."""
        with self._cond:
            dropped = False
            if live:
                queued = sum(1 for it in self._items if it.frame.camera_id == frame.camera_id)
                if queued >= self._live_depth or len(self._items) >= self._maxsize:
                    self._drop_oldest(frame.camera_id)
                    dropped = True
            else:
                while len(self._items) >= self._maxsize:
                    if stop is not None and stop.is_set():
                        break
                    self._cond.wait(0.1)
            self._items.append(_Item(frame, time.monotonic(), live))
            self._cond.notify_all()
            return not dropped

    def _drop_oldest(self, camera_id: str) -> None:
        for i, it in enumerate(self._items):
            if it.frame.camera_id == camera_id:
                del self._items[i]
                return
        self._items.popleft()

    def _stale(self, item: _Item, now: float) -> bool:
        """A live frame that waited too long while a newer frame of its camera is queued behind it."""
        if not item.live or self._max_wait is None or now - item.queued <= self._max_wait:
            return False
        return any(it.frame.camera_id == item.frame.camera_id for it in self._items)

    def get(self, timeout: float) -> tuple[Frame, float] | None:
        """The next frame and the monotonic time it was queued, or None after `timeout`."""
        stale: list[str] = []
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            item = None
            now = time.monotonic()
            while self._items:
                item = self._items.popleft()
                if not self._stale(item, now):
                    break
                stale.append(item.frame.camera_id)
                item = None
            if item is not None or stale:
                self._cond.notify_all()  # room for a producer waiting on a full queue
        if self._on_stale is not None:
            for camera_id in stale:  # outside the lock: the callback may take its own
                self._on_stale(camera_id)
        return None if item is None else (item.frame, item.queued)
