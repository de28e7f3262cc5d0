"""Capture: the `Source` protocol and its file, images, USB and RTSP sources.

Kept import-light (no OpenCV here: `anpr.app.config` imports `anpr.capture.config`); build sources with
`anpr.capture.factory.build_source`.
"""

from anpr.capture.base import Source, SourceError, SourceStats

__all__ = ["Source", "SourceError", "SourceStats"]
