"""The Python API: the plates in one image, read with the shipped models and the Chilean grammar.

    from anpr import PlateReader
    plates = PlateReader().read(frame)  # frame: H×W×3 BGR uint8, as cv2.imread gives

One frame at a time, no tracker, hotlist, GPS or uplink: the detector finds plates, the reader reads each
one against the Chilean formats (`anpr.plates.chile`) and only valid plates come back. For a video, where
several frames vote on each vehicle, use `anpr replay` or the daemon.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anpr.app.config import AppConfig, load
from anpr.detect.base import Detector
from anpr.ocr.base import Reader
from anpr.types import Candidate, Image, PlateFormatName

log = logging.getLogger(__name__)

__all__ = ["Plate", "PlateReader"]

_MIN_SIDE = 16  # smaller than the smallest plate the detector is trained to find


@dataclass(frozen=True, slots=True)
class Plate:
    """One plate read in an image.

    `text` is ``[A-Z0-9]`` and valid in the Chilean `format` it names (e.g. ``"car"``, ``"motorcycle"``);
    `confidence` (0..1) is the reader's, `detection_confidence` the detector's. `box` is (x1, y1, x2, y2)
    in pixels of the image given. `alternatives` are the next-best valid readings, best first.
    """

    text: str
    confidence: float
    format: PlateFormatName
    box: tuple[float, float, float, float]
    detection_confidence: float
    alternatives: tuple[Candidate, ...] = ()
    char_confidences: tuple[float, ...] = ()


def _image(image: object) -> Image:
    """`image` checked to be what the detector takes; a ValueError says what was wrong and how to fix it."""
    if isinstance(image, (str, Path)):
        import cv2

        loaded = cv2.imread(str(image), cv2.IMREAD_COLOR)
        if loaded is None:
            raise ValueError(f"{image}: not a readable image file (OpenCV could not decode it)")
        return np.asarray(loaded, dtype=np.uint8)
    if image is None:
        raise ValueError("image is None (cv2.imread returns None for a file it cannot read; check the path)")
    if not isinstance(image, np.ndarray):
        raise ValueError(f"image must be a numpy array (H×W×3, BGR, uint8) or a file path, not {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(
            f"image dtype is {image.dtype}, expected uint8 (0..255); "
            "convert floats in 0..1 with (img * 255).clip(0, 255).astype(np.uint8)"
        )
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"image shape is {image.shape}, expected H×W×3 BGR; convert grey with cv2.cvtColor(img, "
            "cv2.COLOR_GRAY2BGR), BGRA with cv2.COLOR_BGRA2BGR, RGB (PIL, matplotlib) with cv2.COLOR_RGB2BGR"
        )
    if min(image.shape[:2]) < _MIN_SIDE:
        raise ValueError(f"image is {image.shape[1]}×{image.shape[0]} px, too small to hold a plate")
    return image


class PlateReader:
    """Reads the plates in one image at a time.

    `config` is an `AppConfig`, the path of a TOML config (`anpr config` documents it; only `[detector]` and
    `[reader]` matter here) or None for the defaults, which use the models shipped in the package. Relative
    model paths that do not exist from the working folder are looked for in the package (and beside the venv
    of an install by scripts/install.sh; `anpr.core.datafiles`), so the defaults work from any folder. `detector` and
    `reader` replace the configured ones (any object with the `Detector` / `Reader` protocol).

    Raises `anpr.app.config.ConfigError` for a bad config and `anpr.app.build.StartupError` when a model
    cannot be loaded (missing, corrupt, wrong hash); both messages name the file and the fix.
    """

    def __init__(
        self,
        config: AppConfig | str | Path | None = None,
        *,
        detector: Detector | None = None,
        reader: Reader | None = None,
    ) -> None:
        cfg = config if isinstance(config, AppConfig) else load(config)
        self.config = cfg
        self.detector = detector or self._build_detector()
        self.reader = reader or self._build_reader()

    def _build_detector(self) -> Detector:
        from anpr.app.build import StartupError
        from anpr.detect import build_detector

        try:
            return build_detector(self.config.detector)
        except Exception as err:  # ModelError and friends carry the file and the fix in their message
            raise StartupError(str(err)) from err

    def _build_reader(self) -> Reader:
        from anpr.app.build import StartupError
        from anpr.ocr.factory import build_reader

        try:
            return build_reader(self.config.reader)
        except Exception as err:
            raise StartupError(str(err)) from err

    @property
    def versions(self) -> dict[str, str]:
        """The models in use (file name and hash prefix), as events record them."""
        return {"detector": self.detector.version, "reader": self.reader.version}

    def read(self, image: Image | str | Path) -> list[Plate]:
        """The valid plates in `image` (H×W×3 BGR uint8, or an image file's path), in the detector's order.

        Plates found but not readable as a Chilean plate are left out. Raises ValueError for an image
        that is None, not uint8, not 3-channel or too small.
        """
        img = _image(image)
        plates = []
        for det in self.detector.detect(img):
            read = self.reader.read(img, det)
            if read is None:
                continue
            plates.append(
                Plate(
                    text=read.text,
                    confidence=read.confidence,
                    format=read.format,
                    box=det.box,
                    detection_confidence=det.score,
                    alternatives=read.alternatives,
                    char_confidences=read.char_confidences,
                )
            )
        return plates
