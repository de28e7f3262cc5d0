"""The tracker's state of one open passage: its box and motion, reads, best crop and look."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from anpr.plates.chile import plate_distance
from anpr.track.boxes import Box
from anpr.track.identity import Look
from anpr.types import Image, Observation, Passage, PlateRead


@dataclass(slots=True)
class OpenTrack:
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
    look: Look | None = None
    """The thumbnail of the latest detection (anpr/track/identity.py)."""
    parent: OpenTrack | None = None
    """The confident passage that refused this one's first detection as another plate: while it is
    unconfirmed, this passage may be a single misread of the parent's car (see `misread_of_parent`)."""
    consensus: PlateRead | None = None
    confident_sent: bool = False
    reads_to_skip: int = 0
    """Once confident, the next reads_to_skip observations go unread (`TrackerConfig.read_every_confident`)."""
    unseen_checked: datetime | None = None
    """The last_seen at which the passage, never confident, was handed out for a hotlist check once out of
    sight (`TrackerConfig.hit_when_unseen_s`); seen again, it may be checked again when it leaves again."""

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

    def misread_of_parent(self, min_reads: int) -> bool:
        """Never confident, split off a confident passage, and either the parent was seen again after it, or
        it is a glimpse (fewer than `min_reads` reads) whose plate is the parent's but for one character: the
        reader misread the parent's plate once or twice (often a plate cut by the frame's edge as the car
        leaves), and this is no car of its own. A fleet's next car, one character off, is seen on more frames."""
        parent = self.parent
        # Handed out for its hotlist check once out of sight, it may have raised a hit: its end must follow.
        if self.confident_sent or parent is None or self.unseen_checked is not None:
            return False
        if parent.last_seen > self.last_seen:
            return True
        mine, theirs = self.consensus, parent.consensus
        glimpse = len(self.reads) < min_reads
        # Any character, not only a known confusion: a plate cut by the frame's edge misreads freely.
        return glimpse and mine is not None and theirs is not None and plate_distance(mine.text, theirs.text) <= 1
