"""anpr: an edge number-plate reader for Chilean roads.

The Python API, ``from anpr import PlateReader``, loads on first use: ``import anpr`` and the ``anpr``
command stay light (no onnxruntime, OpenCV or numpy until a reader is built).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anpr.app.plate_reader import Plate, PlateReader

__version__ = "0.1.0"
__all__ = ["Plate", "PlateReader", "__version__"]

_API = {"Plate", "PlateReader"}


def __getattr__(name: str) -> object:
    if name in _API:
        from anpr.app import plate_reader

        return getattr(plate_reader, name)
    raise AttributeError(f"module 'anpr' has no attribute {name!r}")
