"""The hand-off between capture threads and the inference worker.

Replayed files block when the queue is full (every frame is processed, deterministically); live
cameras never block: the oldest queued frame of that camera is dropped and counted, so a slow worker
makes the car skip frames rather than fall behind the road. A live camera keeps at most `live_depth`
frames queued (default 1): each frame queued behind another waits a whole inference, which is latency
added to every hit alert for no gain in throughput (the worker is never idle while a frame waits).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from anpr.types import Frame


class FrameQueue:
    def __init__(self, maxsize: int, live_depth: int = 1) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be >= 1, got {maxsize}")
        if live_depth < 1:
            raise ValueError(f"live_depth must be >= 1, got {live_depth}")
        self._maxsize = maxsize
        self._live_depth = live_depth
        self._items: deque[tuple[Frame, float]] = deque()
        self._cond = threading.Condition()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def put(self, frame: Frame, *, live: bool, stop: threading.Event | None = None) -> bool:
        """Queue a frame. Returns False when a live frame displaced an older one (a drop)."""
        with self._cond:
            dropped = False
            if live:
                queued = sum(1 for f, _ in self._items if f.camera_id == frame.camera_id)
                if queued >= self._live_depth or len(self._items) >= self._maxsize:
                    self._drop_oldest(frame.camera_id)
                    dropped = True
            else:
                while len(self._items) >= self._maxsize:
                    if stop is not None and stop.is_set():
                        break
                    self._cond.wait(0.1)
            self._items.append((frame, time.monotonic()))
            self._cond.notify_all()
            return not dropped

    def _drop_oldest(self, camera_id: str) -> None:
        for i, (queued, _) in enumerate(self._items):
            if queued.camera_id == camera_id:
                del self._items[i]
                return
        self._items.popleft()

    def get(self, timeout: float) -> tuple[Frame, float] | None:
        """The next frame and the monotonic time it was queued, or None after `timeout`."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            if not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()
            return item
