"""Box and crop helpers of the tracker: overlap, centres, crops, and which crop of a passage is best."""

from __future__ import annotations

import math

import cv2
import numpy as np

from anpr.types import Box, Image, PlateRead

__all__ = ["Box", "centre", "crop_box", "crop_quality", "iou", "touches_edge"]


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def crop_quality(crop: Image, read: PlateRead | None) -> float:
    """Area x sharpness (variance of the Laplacian) x read confidence: the best crop has the most."""
    if crop.size == 0:
        return 0.0
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    confidence = read.confidence if read is not None else 0.05  # unread crops lose to any read one
    return float(crop.shape[0] * crop.shape[1]) * max(sharpness, 1e-3) * max(confidence, 1e-3)


def crop_box(image: Image, box: Box) -> Image | None:
    h, w = image.shape[:2]
    x1, y1 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x2, y2 = min(w, math.ceil(box[2])), min(h, math.ceil(box[3]))
    if x2 <= x1 or y2 <= y1:
        return None
    return np.array(image[y1:y2, x1:x2], copy=True)  # a copy: the frame buffer is reused upstream


def centre(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def touches_edge(box: Box, width: int, height: int, px: float = 1.0) -> bool:
    """Whether `box` reaches the frame's border: the plate may be cut there (entering or leaving view)."""
    return box[0] <= px or box[1] <= px or box[2] >= width - px or box[3] >= height - px
