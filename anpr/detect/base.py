"""The `Detector` protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from anpr.types import Box, Detection, Image


class Detector(Protocol):
    """Finds plates in a frame. `version` names the model (file name and hash prefix) for events."""

    version: str

    def detect(self, image: Image) -> list[Detection]: ...

    def detect_regions(self, image: Image, regions: Sequence[Box]) -> list[Detection] | None:
        """Plates near `regions` only (where passages are expected); None: it cannot, detect the frame whole."""
        ...
