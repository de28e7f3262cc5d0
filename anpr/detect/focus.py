"""Looking only where a plate is expected: the detector on small windows around the tracked plates.

While a passage is not settled the tracker wants its plate found on every frame, but not the whole frame
searched: a vehicle entering is found by the next whole-frame detection (`tracker.detect_every_unsettled`).
On the frames between, the detector runs on windows of the letterboxed input around each predicted plate,
through the same weights at a small input (`plate-detector-320x192.onnx`, from `anpr train resize-detector
--size 320x192`: ~30 % of the 640×384 input's work). A window is cut from the very pixels the whole-frame
pass would see, at a multiple of the network's largest stride (32), so its cells are the whole pass's cells:
only the zero padding at the window's border differs. Measured on the sample clips (every 4th frame, each
detection of the whole pass looked for again in a window centred on it): corners within 0.15 px (median)
and 0.5 px (95th percentile) in frame pixels, scores within 0.003 / 0.07; a detection touching an inner
border of its window is dropped (the plate may be cut there).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from anpr.detect.config import DetectorConfig
from anpr.detect.wide import source_input, variant_path

log = logging.getLogger(__name__)

FOCUS_SUFFIX = "-320x192"
"""`auto` looks for `<model stem>-320x192.onnx` beside the model (what `--size 320x192` writes)."""
STRIDE = 32  # the network's largest stride: a window placed on its grid sees the whole pass's cells
MARGIN = 24  # input px kept around a predicted plate: its motion since the last frame, the prediction's error
EDGE = 2  # input px: a detection this close to a window's inner border may be a cut plate
MAX_WINDOWS = 2  # more unsettled plates apart than this: the whole frame is cheaper
MAX_SHARE = 0.6  # the windows may cover at most this share of the input's area, or the whole pass serves
TALL = 1.5  # a box this many times taller than wide is no plate (a door, a sign): not looked for in a window

InputBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Window:
    """A window of the letterboxed input: its top-left corner (input px) and size."""

    u: int
    v: int
    w: int
    h: int

    def cuts(self, box: InputBox, full_w: int, full_h: int) -> bool:
        """Whether `box` (input px) touches an edge of this window that is not an edge of the input."""
        return (
            (self.u > 0 and box[0] < self.u + EDGE)
            or (self.v > 0 and box[1] < self.v + EDGE)
            or (self.u + self.w < full_w and box[2] > self.u + self.w - EDGE)
            or (self.v + self.h < full_h and box[3] > self.v + self.h - EDGE)
        )


def focus_path(cfg: DetectorConfig) -> Path | None:
    """The focus model the config asks for: None when off, or when `auto` finds no file beside the model."""
    without = "unsettled passages keep the whole frame detected"
    return variant_path(cfg.model, cfg.focus_model, FOCUS_SUFFIX, "focus detector", without)


def focus_mismatch(meta: dict[str, str], model_digest: str, focus: tuple[int, int]) -> str | None:
    """Why a focus model (metadata `meta`, input `focus` h×w) cannot serve the detector model (sha256
    `model_digest`), or None: made from that file, and smaller than its input both ways."""
    source = source_input(meta, model_digest)
    if isinstance(source, str):
        return source
    sq_w, sq_h = source
    if focus[0] >= sq_h or focus[1] >= sq_w or focus[0] % STRIDE or focus[1] % STRIDE:
        return f"its input {focus[1]}x{focus[0]} is not smaller than the model's {sq_w}x{sq_h} in multiples of 32"
    return None


def _place(lo: float, hi: float, size: int, full: int) -> int | None:
    """Start of a window `size` long on the stride grid inside [0, full] covering [lo, hi] (clipped to
    the input), as centred on it as the grid allows; None if none covers it."""
    lo, hi = max(0.0, lo - MARGIN), min(float(full), hi + MARGIN)
    first = max(0, int(-(-(hi - size) // STRIDE)) * STRIDE)  # the lowest grid start that still reaches hi
    last = min(full - size, int(lo // STRIDE) * STRIDE)  # the highest that still starts before lo
    if first > last:
        return None
    centred = round(((lo + hi) / 2 - size / 2) / STRIDE) * STRIDE
    return min(max(centred, first), last)


def _window(box: InputBox, full_w: int, full_h: int, w: int, h: int) -> Window | None:
    u = _place(box[0], box[2], w, full_w)
    v = _place(box[1], box[3], h, full_h)
    return None if u is None or v is None else Window(u, v, w, h)


def plan(targets: Sequence[InputBox], full_w: int, full_h: int, w: int, h: int) -> list[Window] | None:
    """Windows of w×h covering every target box (input px of a full_w×full_h input) with a margin, plates
    near each other sharing one; None when the whole pass is the better buy (a target too large, too many
    windows, or windows covering most of the input). A target far taller than wide is left out: no plate is,
    even a motorcycle's seen at a slant (such boxes, on buildings, are seen again by the whole pass, and stop
    counting once looked at `tracker.unreadable_after` times without a read)."""
    if not targets or (w >= full_w and h >= full_h):
        return None
    plates = [t for t in targets if t[3] - t[1] <= TALL * (t[2] - t[0])]
    groups: list[InputBox] = []  # the union of the targets each window covers
    for box in sorted(plates):
        for i, union in enumerate(groups):
            merged = (min(union[0], box[0]), min(union[1], box[1]), max(union[2], box[2]), max(union[3], box[3]))
            if _window(merged, full_w, full_h, w, h) is not None:
                groups[i] = merged
                break
        else:
            groups.append(box)
    if len(groups) > MAX_WINDOWS or len(groups) * w * h > MAX_SHARE * full_w * full_h:
        return None
    windows = [_window(g, full_w, full_h, w, h) for g in groups]
    return None if any(win is None for win in windows) else [win for win in windows if win is not None]
