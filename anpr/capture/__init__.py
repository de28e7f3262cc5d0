"""Capture: the `Source` protocol and its file, images, USB and RTSP sources.

Kept import-light (no OpenCV here: `anpr.app.config` imports `anpr.capture.config`); `build_source` loads
the source modules when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anpr.capture.base import Source, SourceError, SourceStats

if TYPE_CHECKING:
    from anpr.capture.config import CameraConfig

__all__ = ["Source", "SourceError", "SourceStats", "build_source"]


def build_source(cfg: CameraConfig) -> Source:
    """The source for `cfg`. Raises `SourceError` for an unknown kind or an unusable file/folder/device."""
    from anpr.capture import factory

    return factory.build_source(cfg)
