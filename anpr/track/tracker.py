"""Passages: detections associated across frames, with a running consensus and the best crop.

The default `IouTracker` is a small greedy matcher: each open track predicts its box at the frame's
capture time with a constant-velocity model, pairs are taken by IoU (highest first), and a detection
too far for IoU (fast or small plates) may still join a track whose predicted centre is within
`max_center_shift` plate widths, or, failing both, a track that already read the same plate text.
norfair would add a Kalman filter and a dependency for no gain at plate scale, so it is not used. All
timing is in `captured_at` time, never wall time, so a replay is reproducible; passage ids are
`{camera_id}-{n:06d}`, counted per camera from 1.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from anpr.plates.chile import one_char_dropped
from anpr.track.base import PassageTracker, TrackUpdate
from anpr.track.boxes import Box, centre, crop_box, crop_quality, iou
from anpr.track.config import TrackerConfig
from anpr.track.vote import tally
from anpr.types import Detection, Image, Observation, Passage, PlateRead

__all__ = ["IouTracker", "PassageTracker", "TrackUpdate", "crop_quality", "iou"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Track:
    passage_id: str
    camera_id: str
    first_seen: datetime
    last_seen: datetime
    box: Box
    observations: deque[Observation]
    reads: deque[tuple[PlateRead, float]]
    """Each read with its vote weight (smaller plates weigh less)."""
    velocity: Box = (0.0, 0.0, 0.0, 0.0)  # pixels per second, per box coordinate
    best_crop: Image | None = None
    best_quality: float = -1.0
    consensus: PlateRead | None = None
    confident_sent: bool = False
    reads_to_skip: int = 0
    """Once confident, the next reads_to_skip observations go unread (`TrackerConfig.read_every_confident`)."""

    def predict(self, at: datetime) -> Box:
        dt = (at - self.last_seen).total_seconds()
        b, v = self.box, self.velocity
        return (b[0] + v[0] * dt, b[1] + v[1] * dt, b[2] + v[2] * dt, b[3] + v[3] * dt)

    def passage(self) -> Passage:
        return Passage(
            passage_id=self.passage_id,
            camera_id=self.camera_id,
            first_seen=self.first_seen,
            last_seen=self.last_seen,
            observations=tuple(self.observations),
            consensus=self.consensus,
            best_crop=self.best_crop,
        )


class IouTracker:
    """Default `PassageTracker`: greedy IoU matching with constant-velocity prediction."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._open: dict[str, list[_Track]] = {}
        self._counters: dict[str, int] = {}
        self._skipped: dict[str, int] = {}  # frames in a row without detection, per camera

    def update(
        self,
        camera_id: str,
        frame_seq: int,
        captured_at: datetime,
        image: Image,
        observations: Sequence[Observation],
    ) -> TrackUpdate:
        ended = self._end_stale(camera_id, captured_at)
        tracks = self._open[camera_id]
        confident: list[Passage] = []
        matches = self._match(tracks, observations, captured_at)
        for obs_index, obs in enumerate(observations):
            track = matches.get(obs_index)
            if track is None:
                track = self._start(camera_id, captured_at, obs)
                tracks.append(track)
            else:
                self._move(track, obs.detection.box, captured_at)
            if self._add(track, frame_seq, obs, image):
                confident.append(track.passage())
        return TrackUpdate(confident=tuple(confident), ended=tuple(ended))

    def flush(self) -> list[Passage]:
        ended = [t.passage() for tracks in self._open.values() for t in tracks]
        self._open.clear()
        return ended

    def expire(self, now: datetime) -> list[Passage]:
        """End passages on every camera unseen for longer than max_gap_s at `now` (a camera went quiet)."""
        return [p for camera_id in list(self._open) for p in self._end_stale(camera_id, now)]

    def wants_detection(self, camera_id: str) -> bool:
        tracks = self._open.get(camera_id, [])
        skipped = self._skipped.get(camera_id, 0)
        every = self.config.detect_every_settled
        if every > 1 and skipped < every - 1 and tracks and all(t.confident_sent for t in tracks):
            self._skipped[camera_id] = skipped + 1
            return False
        self._skipped[camera_id] = 0
        return True

    def settled(self, camera_id: str, detections: Sequence[Detection], at: datetime) -> set[int]:
        tracks = self._open.get(camera_id, [])
        if not tracks or self.config.read_every_confident <= 1:
            return set()
        probes = [Observation(-1, at, d, None) for d in detections]
        matches = self._match(tracks, probes, at)
        return {i for i, t in matches.items() if t.confident_sent and t.reads_to_skip > 0}

    def open_passages(self, camera_id: str | None = None) -> list[Passage]:
        return [t.passage() for cam, ts in self._open.items() if camera_id in (None, cam) for t in ts]

    # -- internals ------------------------------------------------------------------------------

    def _end_stale(self, camera_id: str, now: datetime) -> list[Passage]:
        keep: list[_Track] = []
        ended: list[Passage] = []
        for track in self._open.get(camera_id, []):
            unseen = (now - track.last_seen).total_seconds()
            open_for = (now - track.first_seen).total_seconds()
            if unseen > self.config.max_gap_s or open_for > self.config.max_passage_s:
                ended.append(track.passage())
            else:
                keep.append(track)
        self._open[camera_id] = keep
        return ended

    def _match(self, tracks: list[_Track], observations: Sequence[Observation], at: datetime) -> dict[int, _Track]:
        predicted = [t.predict(at) for t in tracks]
        pairs: list[tuple[int, float, int, int]] = []  # (tier, -score, obs, track): sorted ascending
        for oi, obs in enumerate(observations):
            box = obs.detection.box
            for ti, pbox in enumerate(predicted):
                overlap = iou(box, pbox)
                if overlap >= self.config.min_iou and overlap > 0:
                    pairs.append((0, -overlap, oi, ti))
                    continue
                width = max(pbox[2] - pbox[0], box[2] - box[0], 1.0)
                shift = math.dist(centre(box), centre(pbox)) / width
                if shift <= self.config.max_center_shift:
                    pairs.append((1, shift, oi, ti))
                elif obs.read is not None and any(_same_plate(obs.read.text, r.text) for r, _ in tracks[ti].reads):
                    # The same plate text on the same camera within max_gap_s is the same car, however far
                    # it moved: a live camera dropping frames can lose a far plate for several frames.
                    pairs.append((2, shift, oi, ti))
        pairs.sort()
        used_obs: set[int] = set()
        used_tracks: set[int] = set()
        result: dict[int, _Track] = {}
        for _, _, oi, ti in pairs:
            if oi in used_obs or ti in used_tracks:
                continue
            used_obs.add(oi)
            used_tracks.add(ti)
            result[oi] = tracks[ti]
        return result

    def _start(self, camera_id: str, at: datetime, obs: Observation) -> _Track:
        n = self._counters.get(camera_id, 0) + 1
        self._counters[camera_id] = n
        limit = self.config.max_observations
        track = _Track(
            f"{camera_id}-{n:06d}", camera_id, at, at, obs.detection.box, deque(maxlen=limit), deque(maxlen=limit)
        )
        log.debug("passage %s started at frame %d", track.passage_id, obs.frame_seq)
        return track

    def _move(self, track: _Track, box: Box, at: datetime) -> None:
        dt = (at - track.last_seen).total_seconds()
        if dt > 0:
            measured = tuple((new - old) / dt for new, old in zip(box, track.box, strict=True))
            # Smooth the velocity: one jittery box should not throw the next prediction off.
            v = tuple(0.5 * m + 0.5 * o for m, o in zip(measured, track.velocity, strict=True))
            track.velocity = (v[0], v[1], v[2], v[3])
        track.box = box
        track.last_seen = max(track.last_seen, at)

    def _add(self, track: _Track, frame_seq: int, obs: Observation, image: Image) -> bool:
        """Record `obs`; True when the consensus has just become confident, or changed text once confident."""
        track.observations.append(obs)
        crop = crop_box(image, obs.detection.box)
        if crop is not None:
            quality = crop_quality(crop, obs.read)
            if quality > track.best_quality:
                track.best_crop, track.best_quality = crop, quality
        if obs.read is None:
            if track.confident_sent and track.reads_to_skip > 0:
                track.reads_to_skip -= 1  # this one was skipped on purpose (see `settled`)
            return False
        cfg = self.config
        track.reads.append((obs.read, min(1.0, obs.detection.width / cfg.full_weight_width_px)))
        result = tally(
            [r for r, _ in track.reads], weights=[w for _, w in track.reads], alternative_weight=cfg.alternative_weight
        )
        before = track.consensus
        track.consensus = None if result is None else result.read
        if track.confident_sent:
            track.reads_to_skip = cfg.read_every_confident - 1
            # A confident consensus that changes its mind is checked again at once, not at the passage's end.
            now = track.consensus
            changed = now is not None and before is not None and now.text != before.text
            if changed and now is not None:
                log.debug("passage %s consensus now %s at frame %d", track.passage_id, now.text, frame_seq)
            return changed
        if result is None:
            return False
        if result.confident(min_reads=cfg.min_reads, hit_confidence=cfg.hit_confidence) or self._confirmed(
            track, result.read.text
        ):
            track.confident_sent = True
            track.reads_to_skip = cfg.read_every_confident - 1
            log.debug("passage %s confident at frame %d: %s", track.passage_id, frame_seq, result.read.text)
            return True
        return False

    def _confirmed(self, track: _Track, text: str) -> bool:
        """The plate, now near, read the same and sure `confirm_reads` times in a row.

        The vote keeps every read, so a far approach's misreads can hold the consensus below
        `hit_confidence` for the whole passage, and its hit would wait for the passage's end (max_gap_s)."""
        n, cfg = self.config.confirm_reads, self.config
        if n <= 0 or len(track.reads) < n:
            return False
        latest = itertools.islice(reversed(track.reads), n)  # no copy of the whole deque on every read
        return all(r.text == text and r.confidence >= cfg.hit_confidence for r, _ in latest)


def _same_plate(a: str, b: str) -> bool:
    """Equal, or equal but for one character the reader dropped (a far plate: DRL87 for DRWL87).

    A substituted character is not enough: consecutive plates (a dealer's or a rental fleet's) drive
    together, and merging them would vote one of them away."""
    return a == b or one_char_dropped(a, b)
