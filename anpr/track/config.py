"""Config of tracking and multi-frame consensus (`[tracker]`)."""

from __future__ import annotations

from pydantic import Field

from anpr._config_base import Section


class TrackerConfig(Section):
    max_gap_s: float = Field(default=1.0, gt=0, le=60, description="a passage ends after this long unseen")
    min_iou: float = Field(default=0.1, ge=0.0, le=1.0, description="minimum IoU to join a detection to a track")
    hit_confidence: float = Field(
        default=0.8, ge=0.0, le=1.0, description="consensus confidence that raises an early hit"
    )
    min_reads: int = Field(default=2, ge=1, le=100, description="reads needed before a consensus counts")
