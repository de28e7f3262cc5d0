"""Helpers for tests on real frames of the bundled sample clips."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from anpr.types import Image

SAMPLE_VIDEOS = Path(__file__).resolve().parents[2] / "sample_videos"


def sample_frame(clip: str, index: int) -> Image:
    """Frame `index` of `sample_videos/<clip>`, decoded as the pipeline would (BGR uint8)."""
    cap = cv2.VideoCapture(str(SAMPLE_VIDEOS / clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok, f"cannot read frame {index} of {clip}"
    return np.asarray(frame, dtype=np.uint8)
