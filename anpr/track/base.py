"""The `PassageTracker` protocol the pipeline runs per camera, and what one frame's update returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from anpr.types import Box, Detection, Image, Observation, Passage


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    confident: tuple[Passage, ...]
    """Passages whose consensus just became confident, or whose confident consensus just changed its text,
    or that were never confident and have just gone out of sight (`hit_when_unseen_s`): check the hotlist now."""
    ended: tuple[Passage, ...]
    """Passages that ended: unseen for more than max_gap_s of capture time, or open too long."""


class PassageTracker(Protocol):
    """Associates one camera's detections across frames into passages with a running consensus."""

    def update(
        self,
        camera_id: str,
        frame_seq: int,
        captured_at: datetime,
        image: Image,
        observations: Sequence[Observation],
    ) -> TrackUpdate: ...

    def flush(self) -> list[Passage]:
        """End every open passage (end of file, shutdown)."""
        ...

    def expire(self, now: datetime) -> list[Passage]:
        """End the passages unseen for longer than max_gap_s at `now`: a live camera went quiet, so no
        frame's `captured_at` will end them."""
        ...

    def open_passages(self, camera_id: str | None = None) -> list[Passage]:
        """The passages still open (of `camera_id`, or of every camera), for drawing and inspection."""
        ...

    def wants_detection(self, camera_id: str) -> bool:
        """False on frames where the whole frame need not be detected: every open passage of the camera is
        confident (or out of sight), and it was detected on fewer than N-1 frames ago (`detect_every_settled`);
        or a passage is not, and it was detected fewer than `detect_every_unsettled` - 1 frames ago (`focus`
        then says where to look)."""
        ...

    def focus(self, camera_id: str, at: datetime) -> list[Box]:
        """Where the plates of the passages not settled are expected at `at` (boxes, frame px): on a frame
        `wants_detection` skips, these still need detecting (none: nothing to look for)."""
        ...

    def settled(
        self, camera_id: str, detections: Sequence[Detection], at: datetime, image: Image | None = None
    ) -> set[int]:
        """Indices of `detections` that need no read this frame (the pipeline then skips the reader for them:
        it is the second largest cost): those of passages whose consensus is settled, and plates too narrow
        to read (`min_read_width_px`). With `image`, a detection that looks unlike its passage's last crop is
        read (a change of car)."""
        ...
