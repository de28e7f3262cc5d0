"""Is this detection the passage's car? The plate text, and a cheap look at the crop, say.

Geometry alone joins the next car of a queue to the passage of the one before it: plates of a queue, of
a row of parked cars or of a gate follow each other at about the same place in the frame. Two checks
keep them apart:

- `other_plate`: two reads that cannot be one plate. A reader's confusion (K/X, 0/D, J/1, one character
  dropped on a far plate) is still the same plate, even where it changes the format; two differing
  characters, one differing character that no reader confuses (a fleet's consecutive plates), or
  another length is another plate.
- `Look`: a small grey thumbnail of the plate and the bumper around it, high-passed (the text's strokes
  and edges, not the white plate on a darker body that every car shares), compared by normalised
  correlation. Frame to frame the same car correlates highly; the next car, however alike its plate,
  differs in its strokes. It decides whether a detection must be read before it joins a settled
  passage (the read then decides), so it may err toward reading.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from anpr.plates.chile import one_char_dropped
from anpr.plates.confusion import CONFUSABLE
from anpr.track.boxes import Box
from anpr.types import Image, PlateRead

__all__ = ["Look", "look_of", "other_plate", "same_plate", "similarity"]

Look = npt.NDArray[np.float32]
"""A high-passed, unit-norm grey thumbnail (`_THUMB`) of a plate and its surroundings."""

_THUMB = (48, 24)  # width, height: the text's strokes survive, noise and 1-px jitter do not
_HIGH_PASS_SIGMA = 2.0  # thumbnail pixels: what a blur this wide keeps (plate, body colour) is taken away
_MARGIN = (0.25, 0.6)  # share of the plate's width / height added each side: bumper, lamps, body colour


def same_plate(a: str, b: str) -> bool:
    """Equal, or equal but for one character the reader dropped (a far plate: DRL87 for DRWL87).

    A substituted character is not enough: consecutive plates (a dealer's or a rental fleet's) drive
    together, and merging them would vote one of them away."""
    return a == b or one_char_dropped(a, b)


def other_plate(a: PlateRead, b: PlateRead) -> bool:
    """Whether the two reads cannot be one plate (see the module docstring)."""
    if same_plate(a.text, b.text):
        return False
    if len(a.text) != len(b.text):
        return True
    # One confused character can also change the format (RTFJ09, a car; RTF109, a trailer): the same plate.
    diff = [(x, y) for x, y in zip(a.text, b.text, strict=True) if x != y]
    return len(diff) > 1 or diff[0][1] not in CONFUSABLE.get(diff[0][0], frozenset())


def look_of(image: Image, box: Box) -> Look | None:
    """The thumbnail of `box` with its margin, or None when it is (almost) wholly outside the frame."""
    h, w = image.shape[:2]
    bw, bh = box[2] - box[0], box[3] - box[1]
    if bw < 2 or bh < 2:
        return None
    x1, y1 = max(0, math.floor(box[0] - _MARGIN[0] * bw)), max(0, math.floor(box[1] - _MARGIN[1] * bh))
    x2, y2 = min(w, math.ceil(box[2] + _MARGIN[0] * bw)), min(h, math.ceil(box[3] + _MARGIN[1] * bh))
    if x2 - x1 < 2 or y2 - y1 < 2:
        return None
    roi = image[y1:y2, x1:x2]
    grey = roi if roi.ndim == 2 else cv2.cvtColor(roi, cv2.COLOR_BGR2GRAY)
    thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
    thumb -= cv2.GaussianBlur(thumb, (0, 0), _HIGH_PASS_SIGMA)
    norm = float(np.linalg.norm(thumb))
    return np.asarray(thumb / norm if norm > 1e-3 else thumb, np.float32)


def similarity(a: Look, b: Look) -> float:
    """Normalised correlation of two looks, -1..1 (a flat, featureless crop correlates 0 with anything)."""
    return float(np.dot(a.ravel(), b.ravel()))
