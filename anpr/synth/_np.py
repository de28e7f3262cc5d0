"""Typed views of OpenCV results: cv2's stubs return loose array types, our code works in uint8/float32."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from anpr.types import Image


def u8(a: Any) -> Image:
    """The array as uint8 (no copy when it already is)."""
    return np.asarray(a, dtype=np.uint8)


def f32(a: Any) -> npt.NDArray[np.float32]:
    """The array as float32 (no copy when it already is)."""
    return np.asarray(a, dtype=np.float32)
