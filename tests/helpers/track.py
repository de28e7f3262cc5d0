"""Helpers for tracking tests: real frames drawn with OpenCV and reads built like the reader's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np

from anpr.plates.chile import parse
from anpr.types import Candidate, Detection, Image, Observation, PlateRead

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_read(text: str, confs: tuple[float, ...] | float = 0.9, alts: tuple[Candidate, ...] = ()) -> PlateRead:
    cc = confs if isinstance(confs, tuple) else (confs,) * len(text)
    fmt = parse(text).format
    return PlateRead(text=text, confidence=min(cc), char_confidences=cc, raw_text=text, format=fmt, alternatives=alts)


def draw_frame(plates: list[tuple[tuple[float, float, float, float], str]], blur: int = 0) -> Image:
    """A grey 480x640 BGR frame with white plates carrying black text at the given boxes."""
    image = np.full((480, 640, 3), 90, np.uint8)
    for (x1, y1, x2, y2), text in plates:
        cv2.rectangle(image, (int(x1), int(y1)), (int(x2), int(y2)), (255, 255, 255), -1)
        scale = (x2 - x1) / 140
        cv2.putText(image, text, (int(x1) + 3, int(y2) - 5), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2)
    if blur:
        image = np.asarray(cv2.GaussianBlur(image, (blur, blur), 0), dtype=np.uint8)
    return image


def obs(seq: int, t: float, box: tuple[float, float, float, float], read: PlateRead | None) -> Observation:
    return Observation(frame_seq=seq, captured_at=at(t), detection=Detection(box=box, score=0.9), read=read)
