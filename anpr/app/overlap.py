"""Two inference workers: the detector runs on frame N+1 while frame N is read, tracked and matched.

Detection and reading one after the other keep one core busy at a time; onnxruntime releases the GIL, so
a detect thread ahead of the tracking worker keeps both busy. The catch: the tracker decides per frame
whether detection is needed (it skips frames while every passage is settled) from its state after the
previous frame, which the detect thread, running ahead, has not seen yet. So the detect thread *guesses*
(`SkipGuess`: a settled cycle goes on as it went) and the tracking worker still asks the tracker, as the
sequential path does: detections it does not want are dropped, a frame it wants but the guess skipped is
detected there and then. The events are exactly the sequential ones; a wrong guess only costs time.

Frames stay in order (one detect thread, one FIFO hand-off) and the hand-off holds `depth` frames, so a
live camera's frame waits at most depth + 1 detections longer than before (the frame queue still drops).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anpr.app.framequeue import FrameQueue
from anpr.types import Detection, Frame

if TYPE_CHECKING:
    from anpr.app.pipeline import Pipeline

log = logging.getLogger(__name__)


@dataclass
class _Cycle:
    known: int = -1  # index of the last frame whose decision the tracker made
    last_detect: int = -1  # index of the last frame it wanted detected
    period: int = 0  # frames between two detections in the last settled cycle (0: none seen)
    settled: bool = False  # the last decision was a skip, or the last cycle had skips


class SkipGuess:
    """Guesses, per camera, whether the tracker will want frame `index` detected, from its past decisions:
    while passages are settled the tracker detects every `detect_every_settled`-th frame, so a cycle seen
    once repeats. Thread-safe: the tracking worker `learn`s, the detect thread `guess`es."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cams: dict[str, _Cycle] = {}

    def learn(self, camera_id: str, index: int, wanted: bool) -> None:
        with self._lock:
            c = self._cams.setdefault(camera_id, _Cycle())
            c.known = index
            if wanted:
                gap = index - c.last_detect if c.last_detect >= 0 else 1
                c.settled = gap > 1
                if gap > 1:
                    c.period = gap
                c.last_detect = index
            else:
                c.settled = True

    def guess(self, camera_id: str, index: int) -> bool:
        """True: detect frame `index` (the safe guess whenever the cycle is unknown)."""
        with self._lock:
            c = self._cams.get(camera_id)
            if c is None or not c.settled or c.period < 2 or c.last_detect < 0 or index <= c.known:
                return True
            return (index - c.last_detect) % c.period == 0


@dataclass(frozen=True)
class _Ahead:
    frame: Frame
    queued_mono: float
    index: int  # the frame's place in its camera's stream (what SkipGuess counts in)
    detections: list[Detection] | None  # None: the guess skipped it


@dataclass(frozen=True)
class AheadStats:
    """How the detect thread's guesses went: each wrong one cost a detection (dropped) or an overlap (late)."""

    frames: int = 0
    dropped: int = 0  # detected ahead, but the tracker skipped the frame
    late: int = 0  # skipped ahead, but the tracker wanted it: detected on the tracking worker


_END = object()


def run_two_workers(
    pipeline: Pipeline,
    frames: FrameQueue,
    sources_alive: Callable[[], bool],
    on_frame: Callable[[Frame], None] | None,
    on_idle: Callable[[], None],
    depth: int = 1,
) -> AheadStats:
    """Drain `frames` through a detect thread and this (tracking) thread until no source is alive and
    the queue is empty. `on_idle` runs when no frame came for a while (live cameras' passages expire)."""
    handoff: queue.Queue[_Ahead | object] = queue.Queue(maxsize=depth)
    guess = SkipGuess()
    done = threading.Event()  # the tracking worker stopped (normally or by an error): the detect thread ends

    def hand(item: _Ahead | object) -> bool:
        while not done.is_set():
            try:
                handoff.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def detect_worker() -> None:
        counts: dict[str, int] = {}
        try:
            while not done.is_set():
                got = frames.get(timeout=0.2)
                if got is None:
                    if not sources_alive():
                        got = frames.get(timeout=0.0)  # a last frame queued just before its source ended
                        if got is None:
                            break
                    else:
                        continue
                frame, queued = got
                index = counts.get(frame.camera_id, 0)
                counts[frame.camera_id] = index + 1
                dets = pipeline.detect(frame) if guess.guess(frame.camera_id, index) else None
                ahead = _Ahead(frame, queued, index, dets)
                del got, frame, dets  # a 1080p frame is 6 MB: hold none while waiting for the next
                if not hand(ahead):
                    return
                del ahead
        except Exception:  # never expected (detect() is guarded); the tracking worker must not wait forever
            log.exception("detect worker stopped by an unexpected error")
            pipeline.health.error("detect")
        finally:
            hand(_END)

    worker = threading.Thread(target=detect_worker, name="detect-ahead", daemon=True)
    worker.start()
    frames_n = dropped = late = 0
    try:
        while True:
            try:
                item = handoff.get(timeout=0.2)
            except queue.Empty:
                on_idle()
                continue
            if item is _END:
                break
            assert isinstance(item, _Ahead)
            wanted = pipeline.process(item.frame, item.queued_mono, ahead=item.detections)
            guess.learn(item.frame.camera_id, item.index, wanted)
            frames_n += 1
            dropped += int(not wanted and item.detections is not None)
            late += int(wanted and item.detections is None)
            if on_frame is not None:
                on_frame(item.frame)
            del item  # not held while waiting for the next frame
    finally:
        done.set()
        worker.join(timeout=5.0)
    log.info("detect-ahead: %d frames; guessed wrong on %d (%d detected in vain, %d detected late)",
             frames_n, dropped + late, dropped, late)  # fmt: skip
    return AheadStats(frames_n, dropped, late)
