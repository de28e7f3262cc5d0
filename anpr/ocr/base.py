"""The `Reader` protocol."""

from __future__ import annotations

from typing import Protocol

from anpr.types import Detection, Image, PlateRead


class Reader(Protocol):
    """Reads the plate inside `detection` of `image`.

    Returns None when the crop holds no valid plate (unreadable, or text that fits no Chilean format);
    the reason is counted in the reader's stats, never raised.
    """

    version: str

    def read(self, image: Image, detection: Detection) -> PlateRead | None: ...
