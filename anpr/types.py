"""The data that flows between pipeline stages.

Every type here is a frozen dataclass: a stage never mutates what it was handed, so a frame or a read
can be shared between threads (capture, inference, uplink) without copies or locks. Images are numpy
arrays and are the one exception to deep immutability: stages treat them as read-only by convention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""A BGR (or single-channel grey) image, HxWx3 or HxW, uint8."""

PlateFormatName = str
"""Name of a Chilean plate format (see `anpr.plates.chile.FORMATS`), or ``"unknown"``."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded camera frame.

    `captured_at` is wall-clock UTC (timezone-aware). For replayed files it is the container PTS plus
    the configured start time, so a replay yields the same timestamps every run. `seq` counts frames
    delivered by this source, from 0; gaps in `seq` never occur (dropped frames are counted instead).
    """

    camera_id: str
    seq: int
    captured_at: datetime
    image: Image


Box = tuple[float, float, float, float]
"""x1, y1, x2, y2 in pixels of a frame."""


@dataclass(frozen=True, slots=True)
class Detection:
    """A plate found in a frame, in pixel coordinates of that frame.

    `box` is (x1, y1, x2, y2). `corners` holds the plate's four corners (tl, tr, br, bl) when the
    detector gives them, else None.
    """

    box: Box
    score: float
    corners: tuple[tuple[float, float], ...] | None = None

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One alternative reading of a plate, with its score (probability-like, 0..1)."""

    text: str
    score: float
    format: PlateFormatName


@dataclass(frozen=True, slots=True)
class PlateRead:
    """The reader's answer for one crop (or the consensus of a passage).

    `text` is normalized to ``[A-Z0-9]``; `raw_text` is what the model emitted before the grammar;
    `char_confidences` has one value per character of `text`; `alternatives` are the next-best valid
    strings (best first, `text` excluded).
    """

    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    raw_text: str
    format: PlateFormatName
    alternatives: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class Observation:
    """A detection in one frame together with what the reader made of it (None: unreadable)."""

    frame_seq: int
    captured_at: datetime
    detection: Detection
    read: PlateRead | None


@dataclass(frozen=True, slots=True)
class Passage:
    """One vehicle seen by one camera: the track of its observations and the consensus read."""

    passage_id: str
    camera_id: str
    first_seen: datetime
    last_seen: datetime
    observations: tuple[Observation, ...]
    consensus: PlateRead | None
    best_crop: Image | None = field(default=None, compare=False, repr=False)


FixMode = Literal["2d", "3d", "fixed"]


@dataclass(frozen=True, slots=True)
class Fix:
    """A position. `fixed_at` is the GPS time of the fix this one is derived from (UTC).

    `age_s` is the time from the nearest real fix to the moment this fix describes (0 for a fixed
    gantry); `stale` is set when that age exceeds the configured limit.
    """

    lat: float
    lon: float
    speed_mps: float | None
    heading_deg: float | None
    hdop: float | None
    mode: FixMode
    fixed_at: datetime
    source: str
    age_s: float = 0.0
    stale: bool = False


@dataclass(frozen=True, slots=True)
class HotlistEntry:
    """One plate wanted by the control room."""

    plate: str
    list_name: str
    reason: str
    priority: int
    source: str
    added_at: datetime | None = None
    expires_at: datetime | None = None
    check_digit: str | None = None
    note: str = ""
    covert: bool = False
    wildcard: bool = False


MatchKind = Literal["exact", "fuzzy", "wildcard"]


@dataclass(frozen=True, slots=True)
class HotlistMatch:
    """A read that hit the hotlist. `distance` is 0 for exact, the edit count for fuzzy."""

    entry: HotlistEntry
    kind: MatchKind
    distance: int
    matched_text: str
    list_version: int


EventKind = Literal["hit", "read"]


@dataclass(frozen=True, slots=True)
class PlateEvent:
    """The unit that leaves the device. Its JSON form is `schemas/plate-event.v1.json`.

    `event_id` is a time-ordered unique id (UUIDv7), the de-duplication key downstream.
    """

    event_id: str
    kind: EventKind
    device_id: str
    camera_id: str
    passage_id: str
    plate: str
    confidence: float
    format: PlateFormatName
    alternatives: tuple[Candidate, ...]
    first_seen: datetime
    last_seen: datetime
    fix: Fix | None
    match: HotlistMatch | None
    crop_jpeg: bytes | None
    model_versions: tuple[tuple[str, str], ...]
    hotlist_version: int | None
    final: bool = True
    """False for an early hit raised before the passage ended; the final event follows."""
