"""Images read for tests, typed as the stages take them (OpenCV's stubs say any dtype, or None on failure)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from anpr.types import Image


def imread(path: Path | str, flags: int = cv2.IMREAD_COLOR) -> Image:
    """`cv2.imread` that fails the test, naming the file, instead of returning None."""
    img = cv2.imread(str(path), flags)
    assert img is not None, f"{path}: OpenCV could not read it"
    return as_image(img)


def as_image(array: object) -> Image:
    """An OpenCV result (uint8 in practice) as an `Image`; fails the test if it is not uint8."""
    img = np.asarray(array)
    assert img.dtype == np.uint8, f"expected a uint8 image, got {img.dtype}"
    return img.astype(np.uint8, copy=False)
