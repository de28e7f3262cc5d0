"""Wires the stages: capture threads → inference workers → tracker → hotlist → events.

One capture thread per camera feeds a `FrameQueue`; a detect thread runs the detector one frame ahead of
the worker that reads, tracks and matches (anpr/app/overlap.py; `inference_workers = 1`: one worker does
all, in turn). onnxruntime releases the GIL, so capture, detection and reading overlap. Hits are checked as soon as a
passage's consensus is confident, and alerted before the event is queued for upload; every other
passage becomes one event when it ends. On stop the worker drains the queue and ends every open
passage, so nothing seen is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TypeVar

from anpr.app.dispatch import Dispatcher
from anpr.app.framequeue import FrameQueue
from anpr.app.health import Health
from anpr.app.overlap import AheadStats, run_two_workers
from anpr.app.passage_events import EventPolicy, build_event, log_unread, lone_guess, unread
from anpr.app.stages import Stages
from anpr.types import Box, Detection, Fix, Frame, HotlistMatch, Observation, Passage, PlateRead

if TYPE_CHECKING:
    from anpr.capture.base import Source

log = logging.getLogger(__name__)

_LOG_EVERY = 100  # after the first few, log one error in this many (a dead stage must not flood the journal)

T = TypeVar("T")


class Pipeline:
    def __init__(
        self,
        sources: Sequence[Source],
        stages: Stages,
        *,
        device_id: str,
        policy: EventPolicy | None = None,
        health: Health | None = None,
        queue_size: int | None = None,
        workers: int = 2,
        live_depth: int = 1,
        live_max_wait_s: float | None = None,
    ) -> None:
        if not sources:
            raise ValueError("a pipeline needs at least one source")
        if workers not in (1, 2):
            raise ValueError(f"workers must be 1 or 2, got {workers}")
        self.workers = workers
        self.sources = list(sources)
        self.stages = stages
        self.device_id = device_id
        self.policy = policy or EventPolicy()
        self.health = health if health is not None else Health()
        # Frames queued per camera: with two workers, two more are in flight (the detect thread's and the
        # hand-off's), so the queue is shorter by as many; a 1080p frame is 6 MB of peak memory.
        if queue_size is None:
            queue_size = 4 if workers == 1 else 2
        # A live camera may queue up to live_depth of them (bursty inference; see anpr/app/framequeue.py).
        self._queue = FrameQueue(
            queue_size * len(self.sources),
            live_depth=min(live_depth, queue_size),
            live_max_wait_s=live_max_wait_s,
            on_stale=self.health.dropped,
        )
        self._trackers = {s.camera_id: stages.make_tracker(s.camera_id) for s in self.sources}
        self._early_hits: dict[str, HotlistMatch] = {}
        missing = [s.camera_id for s in self.sources if s.camera_id not in stages.detectors]
        if missing:
            raise ValueError(f"no detector for camera(s) {', '.join(missing)}")
        detector_version = next(iter(stages.detectors.values())).version
        versions = [("detector", detector_version), ("reader", stages.reader.version)]
        self._model_versions = tuple(versions)
        self.detect_ahead: AheadStats | None = None  # with two workers: how the detect thread's guesses went
        self._dispatcher = Dispatcher(stages, self.health, self._guarded)

    @property
    def events_emitted(self) -> int:
        return self._dispatcher.events_emitted

    # -- capture -------------------------------------------------------------------------------------
    def _capture(self, source: Source, stop: threading.Event) -> None:
        try:
            for frame in source.frames(stop):
                self.health.frame_in(frame.camera_id)
                if not self._queue.put(frame, live=source.live, stop=stop):
                    self.health.dropped(frame.camera_id)
                if stop.is_set():
                    break
        except Exception:  # a source must never take the daemon down; it is logged and counted
            log.exception("camera %s: capture stopped by an unexpected error", source.camera_id)
            self.health.error("capture")
        finally:
            source.close()

    # -- inference -----------------------------------------------------------------------------------
    def _guarded(self, stage: str, fn: Callable[[], T]) -> T | None:
        """`fn()`, timed; a failure is counted and logged (rate-limited) and gives None."""
        t0 = time.perf_counter()
        try:
            return fn()
        except Exception as err:
            n = self.health.error(stage)
            if n <= 5 or n % _LOG_EVERY == 0:
                log.error("%s failed (%d so far): %s", stage, n, err, exc_info=n <= 1)
            return None
        finally:
            self.health.stage_time(stage, (time.perf_counter() - t0) * 1000.0)

    def detect(self, frame: Frame) -> list[Detection]:
        """The detector on one frame (a failure is counted and gives no plates); thread-safe."""
        detector = self.stages.detectors[frame.camera_id]
        return self._guarded("detect", lambda: detector.detect(frame.image)) or []

    def _detect_regions(self, frame: Frame, regions: list[Box]) -> list[Detection] | None:
        """The detector around `regions` only; None when it cannot (or failed: counted, and the whole frame
        is detected instead)."""
        detector = self.stages.detectors[frame.camera_id]
        return self._guarded("focus", lambda: detector.detect_regions(frame.image, regions))

    def process(self, frame: Frame, queued_mono: float | None = None, ahead: list[Detection] | None = None) -> bool:
        """Run one frame through detect → read → track → hotlist → events. `ahead`: this frame's
        detections, already found by the detect worker (used only where the tracker wants them).
        Returns whether the tracker wanted this frame detected."""
        tracker = self._trackers[frame.camera_id]
        detections: list[Detection] = []
        # While every passage in view is settled the detector (the largest cost) skips some frames;
        # a vehicle that appears meanwhile is found at most N-1 frames later.
        wanted = tracker.wants_detection(frame.camera_id)
        motion = self.stages.motion  # and on a fixed camera's still, empty scene it skips the rest
        if wanted and motion is not None:
            wanted = motion.wants(frame.camera_id, frame.image)
        if wanted:
            detections = ahead if ahead is not None else self.detect(frame)
            if motion is not None:
                motion.detected(frame.camera_id, len(detections))
        elif focus := tracker.focus(frame.camera_id, frame.captured_at):
            # Between whole-frame detections a plate not yet settled is looked for where it is expected.
            found = self._detect_regions(frame, focus)
            wanted = found is None  # no focus model, or the whole frame is cheaper: it is detected whole
            detections = self.detect(frame) if found is None else found
        # Passages whose consensus is settled are read only every Nth frame (the reader is the second cost),
        # plates too narrow to read not at all; the image lets the tracker read a detection that looks like
        # another car.
        settled = tracker.settled(frame.camera_id, detections, frame.captured_at, frame.image)
        observations = [
            Observation(frame.seq, frame.captured_at, det, None if i in settled else self._read(frame, det))
            for i, det in enumerate(detections)
        ]
        n_reads = sum(1 for o in observations if o.read is not None)
        self.health.processed(frame.camera_id, len(detections), n_reads)
        update = tracker.update(frame.camera_id, frame.seq, frame.captured_at, frame.image, observations)
        for passage in update.confident:
            self._early_hit(passage, queued_mono)
        for passage in update.ended:
            self._finish(passage, queued_mono)
        return wanted

    def _read(self, frame: Frame, det: Detection) -> PlateRead | None:
        reader = self.stages.reader
        return self._guarded("read", lambda: reader.read(frame.image, det))

    def _match(self, passage: Passage) -> HotlistMatch | None:
        read = passage.consensus
        if self.stages.matcher is None or read is None or unread(read):
            return None  # a text no read supports raises no alert
        matcher = self.stages.matcher
        return self._guarded("hotlist", lambda: matcher.match(read))

    def _fix(self, passage: Passage) -> Fix | None:
        if self.stages.position is None:
            return None
        position = self.stages.position
        return self._guarded("gps", lambda: position.fix_at(passage.last_seen))

    def _early_hit(self, passage: Passage, queued_mono: float | None) -> None:
        match = self._match(passage)
        if match is None or self._raised(passage.passage_id, match):
            return
        self._early_hits[passage.passage_id] = match
        self.health.hit(passage.camera_id)
        self._emit(passage, match, final=False, queued_mono=queued_mono)

    def _raised(self, passage_id: str, match: HotlistMatch) -> bool:
        """Whether this passage has already raised a hit on the same listed plate."""
        early = self._early_hits.get(passage_id)
        return early is not None and early.entry.plate == match.entry.plate

    def _finish(self, passage: Passage, queued_mono: float | None) -> None:
        early = self._early_hits.pop(passage.passage_id, None)
        self.health.passage(passage.camera_id)
        if early is None and unread(passage.consensus):
            self.health.unread(passage.camera_id)  # no plate: counted, logged, and no event
            log_unread(passage)
            return
        # The final consensus is the better read; but a hit once raised is never silently withdrawn.
        match = self._match(passage) or early
        if match is None and lone_guess(passage, self.policy.lone_read_floor):
            self.health.unread(passage.camera_id)  # one unsure read on one frame: counted, logged, no event
            return
        # A consensus that settled on another listed plate than the one raised alerts too (the first stays).
        alert = match is not None and (early is None or match.entry.plate != early.entry.plate)
        if alert:
            self.health.hit(passage.camera_id)  # not raised early: this is the hit being raised
        self._emit(passage, match, final=True, queued_mono=queued_mono if alert else None, alert=alert)

    def _emit(
        self,
        passage: Passage,
        match: HotlistMatch | None,
        *,
        final: bool,
        queued_mono: float | None,
        alert: bool = True,
    ) -> None:
        matcher = self.stages.matcher
        event = build_event(
            passage,
            device_id=self.device_id,
            match=match,
            fix=self._fix(passage),
            model_versions=self._model_versions,
            hotlist_version=matcher.version() if matcher is not None else None,
            policy=self.policy,
            final=final,
        )
        if event is None:
            return
        self._dispatcher.dispatch(event, alert=alert, queued_mono=queued_mono)
        if final and matcher is not None:
            # Kept for re-checking: a list update that arrives later still finds this car.
            self._guarded(
                "hotlist",
                lambda: matcher.remember_read(
                    event.plate, event.alternatives, event.event_id, event.last_seen, event.format
                ),
            )

    # -- lifecycle -----------------------------------------------------------------------------------
    def run(self, stop: threading.Event, on_frame: Callable[[Frame], None] | None = None) -> None:
        """Run until every source ends (replay) or `stop` is set (daemon); then drain and flush."""
        if self.stages.position is not None:
            self.stages.position.start()
        threads = [
            threading.Thread(target=self._capture, args=(s, stop), name=f"capture-{s.camera_id}", daemon=True)
            for s in self.sources
        ]
        for t in threads:
            t.start()
        if self.workers == 2:  # detect the next frame while this one is read (anpr/app/overlap.py)
            self.detect_ahead = run_two_workers(
                self, self._queue, lambda: any(t.is_alive() for t in threads), on_frame, self._expire_live
            )
        while self.workers == 1:
            item = self._queue.get(timeout=0.2)
            if item is None:
                if not any(t.is_alive() for t in threads):
                    break
                self._expire_live()
                continue
            frame, queued = item
            self.process(frame, queued)
            if on_frame is not None:
                on_frame(frame)
        for t in threads:
            t.join(timeout=5.0)
        self.flush()

    def _expire_live(self) -> None:
        """End passages of live cameras that went quiet (no frame to end them by captured_at time)."""
        now = datetime.now(timezone.utc)
        for source in self.sources:
            if source.live:
                for passage in self._trackers[source.camera_id].expire(now):
                    self._finish(passage, None)

    def flush(self) -> None:
        """End every open passage so its event is emitted (end of file, or shutdown)."""
        for tracker in self._trackers.values():
            for passage in tracker.flush():
                self._finish(passage, None)
