"""The built stages one pipeline runs, each behind its Protocol (`anpr.app.build` builds them from the
config; tests and benches hand in their own or wrap the built ones)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the protocols only; importing this module loads no stage
    from anpr.detect.base import Detector
    from anpr.detect.motion import MotionGate
    from anpr.gps.base import Position
    from anpr.hotlist.base import Matcher
    from anpr.ocr.base import Reader
    from anpr.track.base import PassageTracker
    from anpr.types import PlateEvent
    from anpr.uplink.base import AlertSink, EventSink


@dataclass(frozen=True)
class Stages:
    detectors: dict[str, Detector]
    """One per camera id (the same model, each wrapped with that camera's region of interest)."""
    reader: Reader
    make_tracker: Callable[[str], PassageTracker]
    """A tracker for a camera id (one per camera: passage ids are counted per tracker)."""
    matcher: Matcher | None = None
    position: Position | None = None
    sink: EventSink | None = None
    alerts: AlertSink | None = None
    motion: MotionGate | None = None
    """Skips the detector on a still scene with no plate in view (`[detector.motion]`); None: never skips."""
    on_event: Callable[[PlateEvent], None] | None = None
    """Called with every event after it was alerted and queued (replay prints it, benches count it)."""
