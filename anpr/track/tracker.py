"""Passages: detections associated across frames, with a running consensus and the best crop.

The default `IouTracker` is a small greedy matcher: each open track predicts its box at the frame's
capture time with a constant-velocity model, pairs are taken by IoU (highest first), and a detection
too far for IoU (fast or small plates) may still join a track whose predicted centre is within
`max_center_shift` plate widths, or, failing both, a track that already read the same plate text.
norfair would add a Kalman filter and a dependency for no gain at plate scale, so it is not used.

What the plate says overrules where it is (anpr/track/identity.py): a passage whose consensus is
confident never takes a detection that surely reads another plate; that detection begins a new
passage, so a queue or a row of parked cars gives one passage per car. On the fast path (`settled`), a
detection of a settled passage that jumps, changes size or looks unlike its last crop is read before it
joins. The old passage stays open until max_gap_s unseen, so a car hidden for a moment by the one that
cut in is found again; a new passage that never became confident while its parent was seen again after
it was the reader misreading the parent's plate, and is dropped; so is one seen on fewer than min_reads
frames reading the parent's plate but for one character (its cut plate misread as the car leaves view), and
such a passage needs a read more to become confident. A detection touching the frame's border where a
confident passage is predicted joins it whatever it reads (a plate cut by the edge reads anything).

All timing is in `captured_at` time, never wall time, so a replay is reproducible; passage ids are
`{camera_id}-{n:06d}`, counted per camera from 1.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from datetime import datetime

from anpr.track.base import TrackUpdate
from anpr.track.boxes import Box
from anpr.track.config import TrackerConfig
from anpr.track.identity import look_of
from anpr.track.matching import Matcher, disagrees
from anpr.track.observe import observe
from anpr.track.state import OpenTrack
from anpr.types import Detection, Image, Observation, Passage

__all__ = ["IouTracker"]

log = logging.getLogger(__name__)

_GONE_S = 0.25  # an unconfident passage unseen this long is out of sight: detection may skip frames again


class IouTracker:
    """Default `PassageTracker`: greedy IoU matching with constant-velocity prediction."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._matcher = Matcher(self.config)
        self._open: dict[str, list[OpenTrack]] = {}
        self._counters: dict[str, int] = {}
        self._skipped: dict[str, int] = {}  # frames in a row without detection, per camera
        self._now: dict[str, datetime] = {}  # the latest frame's capture time, per camera

    def update(
        self,
        camera_id: str,
        frame_seq: int,
        captured_at: datetime,
        image: Image,
        observations: Sequence[Observation],
    ) -> TrackUpdate:
        self._now[camera_id] = captured_at
        ended = self._end_stale(camera_id, captured_at)
        tracks = self._open[camera_id]
        confident: list[Passage] = []
        looks = [look_of(image, o.detection.box) for o in observations]
        matches, refused = self._matcher.match(tracks, observations, captured_at, looks, image.shape[1::-1])
        for obs_index, obs in enumerate(observations):
            track = matches.get(obs_index)
            if track is None:
                track = self._start(camera_id, captured_at, obs)
                track.parent = refused.get(obs_index)
                tracks.append(track)
            else:
                self._move(track, obs.detection.box, captured_at)
            if looks[obs_index] is not None and not disagrees(track, obs.read):
                track.look = looks[obs_index]  # a read of another plate that joined does not become the look
            if observe(track, frame_seq, obs, image, self.config):
                confident.append(track.passage())
        confident.extend(self._out_of_sight(tracks, captured_at))
        return TrackUpdate(confident=tuple(confident), ended=tuple(ended))

    def _out_of_sight(self, tracks: list[OpenTrack], now: datetime) -> list[Passage]:
        """Passages never confident, with a consensus of at least min_reads reads, unseen for `hit_when_unseen_s`:
        their hotlist check is made now rather than when they end (max_gap_s later), once per time they leave
        view."""
        after = self.config.hit_when_unseen_s
        if after <= 0:
            return []
        out = []
        for t in tracks:
            gone = (now - t.last_seen).total_seconds() > after
            enough = t.consensus is not None and len(t.reads) >= self.config.min_reads  # not a lone glimpse
            if gone and enough and not t.confident_sent and t.unseen_checked != t.last_seen:
                t.unseen_checked = t.last_seen
                out.append(t.passage())
        return out

    def flush(self) -> list[Passage]:
        ended = [t.passage() for tracks in self._open.values() for t in tracks if not self._folded(t)]
        self._open.clear()
        return ended

    def expire(self, now: datetime) -> list[Passage]:
        """End passages on every camera unseen for longer than max_gap_s at `now` (a camera went quiet)."""
        return [p for camera_id in list(self._open) for p in self._end_stale(camera_id, now)]

    def wants_detection(self, camera_id: str) -> bool:
        tracks = self._open.get(camera_id, [])
        skipped = self._skipped.get(camera_id, 0)
        settled = all(self._settled(t, self._now.get(camera_id)) for t in tracks)
        every = self.config.detect_every_settled if settled else self.config.detect_every_unsettled
        if every > 1 and skipped < every - 1 and tracks:
            self._skipped[camera_id] = skipped + 1
            return False
        self._skipped[camera_id] = 0
        return True

    def focus(self, camera_id: str, at: datetime) -> list[Box]:
        now = self._now.get(camera_id)
        return [t.predict(at) for t in self._open.get(camera_id, []) if not self._settled(t, now)]

    def _settled(self, track: OpenTrack, now: datetime | None) -> bool:
        """Whether a passage needs no detection on every frame: confident; or out of sight for a while (a junk
        detection, a car gone); or never read as a plate however often it was looked at (a sign, a window)."""
        n = self.config.unreadable_after
        return (
            track.confident_sent
            or (now is not None and (now - track.last_seen).total_seconds() > _GONE_S)
            or (n > 0 and not track.reads and len(track.observations) >= n)
        )

    def settled(
        self, camera_id: str, detections: Sequence[Detection], at: datetime, image: Image | None = None
    ) -> set[int]:
        small = self._too_small(detections)
        tracks = self._open.get(camera_id, [])
        if not tracks or self.config.read_every_confident <= 1:
            return small
        probes = [Observation(-1, at, d, None) for d in detections]
        looks = [None if image is None else look_of(image, d.box) for d in detections]
        matches, _ = self._matcher.match(tracks, probes, at, looks)
        return small | {
            i
            for i, t in matches.items()
            if t.confident_sent and t.reads_to_skip > 0 and self._matcher.continues(t, detections[i].box, at, looks[i])
        }

    def _too_small(self, detections: Sequence[Detection]) -> set[int]:
        least = self.config.min_read_width_px
        return {i for i, d in enumerate(detections) if d.width < least}

    def open_passages(self, camera_id: str | None = None) -> list[Passage]:
        return [t.passage() for cam, ts in self._open.items() if camera_id in (None, cam) for t in ts]

    # -- internals ------------------------------------------------------------------------------

    def _end_stale(self, camera_id: str, now: datetime) -> list[Passage]:
        keep: list[OpenTrack] = []
        ended: list[Passage] = []
        for track in self._open.get(camera_id, []):
            unseen = (now - track.last_seen).total_seconds()
            open_for = (now - track.first_seen).total_seconds()
            if unseen > self.config.max_gap_s or open_for > self.config.max_passage_s:
                if not self._folded(track):
                    ended.append(track.passage())
                track.parent = None  # no chain of ended passages kept alive through their children
            else:
                keep.append(track)
        self._open[camera_id] = keep
        return ended

    def _folded(self, track: OpenTrack) -> bool:
        if not track.misread_of_parent(self.config.min_reads):
            return False
        parent = track.parent
        log.info(
            "passage %s (%s, %d read(s)) dropped: a misread of confident passage %s (%s) at the same place",
            track.passage_id,
            track.consensus.text if track.consensus else "nothing",
            len(track.reads),
            parent.passage_id if parent else "?",
            parent.consensus.text if parent and parent.consensus else "?",
        )
        return True

    def _start(self, camera_id: str, at: datetime, obs: Observation) -> OpenTrack:
        n = self._counters.get(camera_id, 0) + 1
        self._counters[camera_id] = n
        limit = self.config.max_observations
        track = OpenTrack(
            f"{camera_id}-{n:06d}", camera_id, at, at, obs.detection.box, deque(maxlen=limit), deque(maxlen=limit)
        )
        log.debug("passage %s started at frame %d", track.passage_id, obs.frame_seq)
        return track

    def _move(self, track: OpenTrack, box: Box, at: datetime) -> None:
        dt = (at - track.last_seen).total_seconds()
        if dt > 0:
            measured = tuple((new - old) / dt for new, old in zip(box, track.box, strict=True))
            # Smooth the velocity: one jittery box should not throw the next prediction off.
            v = tuple(0.5 * m + 0.5 * o for m, o in zip(measured, track.velocity, strict=True))
            track.velocity = (v[0], v[1], v[2], v[3])
        track.box = box
        track.last_seen = max(track.last_seen, at)
