"""Tracking: the `PassageTracker` protocol and its default, the greedy IoU `IouTracker`."""

from __future__ import annotations

from anpr.track.base import PassageTracker, TrackUpdate
from anpr.track.config import TrackerConfig

__all__ = ["PassageTracker", "TrackUpdate", "build_tracker"]


def build_tracker(cfg: TrackerConfig) -> PassageTracker:
    """The default tracker (one per camera: passage ids are counted per tracker)."""
    from anpr.track.tracker import IouTracker

    return IouTracker(cfg)
