"""The `Detector` protocol."""

from __future__ import annotations

from typing import Protocol

from anpr.types import Detection, Image


class Detector(Protocol):
    """Finds plates in a frame. `version` names the model (file name and hash prefix) for events."""

    version: str

    def detect(self, image: Image) -> list[Detection]: ...
