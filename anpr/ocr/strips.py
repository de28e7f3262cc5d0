"""Grey text-row strips: the input of the plate recognizer CRNN, at training and at run time.

Pure functions on arrays, numpy and OpenCV only (no onnxruntime, no pydantic), so the training-data
builder can run them on a bare GPU box. `strips` follows `preprocess.prepare` step for step.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from anpr.ocr import preprocess
from anpr.types import Image

PAD = 128
"""Grey value of the right padding (0 after normalisation)."""


def strips(
    plate: Image,
    height: int,
    width: int,
    *,
    use_clahe: bool = True,
    deskew: bool = True,
    band: bool = True,
    cut: float | None = None,
) -> list[Image]:
    """A plate crop → one grey uint8 strip per text row (top first), `height` high, at most `width` wide.

    The steps of `preprocess.prepare` (deskew, CLAHE, two-row split, character-line crop, resize) without
    its PP-OCR normalisation; rows wider than `width` are squeezed to it.
    """
    gray = preprocess.to_gray(plate)
    if deskew:
        gray = preprocess.rotate(gray, preprocess.deskew_angle(gray))
    if use_clahe:
        gray = preprocess.clahe(gray)
    bands = preprocess.text_bands(gray, band=band, cut=cut)
    return [preprocess.resize_height(gray[y0:y1], height, width) for y0, y1 in bands if y1 - y0 >= 2]


def pad_strip(strip: Image, width: int) -> Image:
    """Right-pad a strip to `width` with PAD grey (it is never wider: `strips` squeezes)."""
    out = np.full((strip.shape[0], width), PAD, dtype=np.uint8)
    w = min(width, strip.shape[1])
    out[:, :w] = strip[:, :w]
    return out


def to_input(rows: list[Image], width: int) -> npt.NDArray[np.float32]:
    """Strips → the model's N×1×H×W float32 batch."""
    batch = np.stack([pad_strip(r, width) for r in rows]).astype(np.float32)
    return np.ascontiguousarray(((batch / 255.0 - 0.5) / 0.5)[:, None])
