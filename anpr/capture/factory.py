"""Builds the source a `[[cameras]]` table names."""

from __future__ import annotations

from collections.abc import Callable

from anpr.capture.base import Source, SourceError
from anpr.capture.config import CameraConfig
from anpr.capture.file import FileSource
from anpr.capture.images import ImagesSource
from anpr.capture.rtsp import RtspSource
from anpr.capture.usb import UsbSource

SOURCES: dict[str, Callable[[CameraConfig], Source]] = {
    "file": FileSource,
    "images": ImagesSource,
    "usb": UsbSource,
    "rtsp": RtspSource,
}


def build_source(cfg: CameraConfig) -> Source:
    """The source for `cfg`. Raises `SourceError` for an unknown kind or an unusable file/folder/device."""
    try:
        make = SOURCES[cfg.kind]
    except KeyError:
        raise SourceError(
            f"camera {cfg.id}: unknown source kind {cfg.kind!r}; valid kinds: {', '.join(sorted(SOURCES))}"
        ) from None
    return make(cfg)
