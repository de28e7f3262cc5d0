"""The source registry, the camera config's own checks, the shared back-off/logging pieces and the
USB path's handling of an absent camera (the one USB behaviour testable without a device)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from anpr.capture._common import Backoff, RateLimitedLog
from anpr.capture.base import SourceError
from anpr.capture.config import CameraConfig
from anpr.capture.factory import build_source
from anpr.capture.file import FileSource
from anpr.capture.images import ImagesSource
from anpr.capture.rtsp import RtspSource
from anpr.capture.usb import UsbSource, parse_device


def test_factory_builds_each_kind(video: Path, tmp_path: Path) -> None:
    assert isinstance(build_source(CameraConfig(kind="file", uri=str(video))), FileSource)
    (tmp_path / "a.jpg").write_bytes(b"x")
    assert isinstance(build_source(CameraConfig(kind="images", uri=str(tmp_path))), ImagesSource)
    rtsp = build_source(CameraConfig(kind="rtsp", uri="rtsp://127.0.0.1:9/x"))
    usb = build_source(CameraConfig(kind="usb", uri="/dev/v4l/by-id/usb-none-video-index0"))
    assert isinstance(rtsp, RtspSource) and isinstance(usb, UsbSource)
    for live in (rtsp, usb):  # nothing is opened before frames() is asked for
        assert live.stats().connected is False
        live.close()


def test_factory_lists_valid_kinds_for_an_unknown_one() -> None:
    cfg = CameraConfig.model_construct(id="cam9", kind="firewire", uri="x")  # bypasses validation on purpose
    with pytest.raises(
        SourceError, match=r"cam9: unknown source kind 'firewire'; valid kinds: file, images, rtsp, usb"
    ):
        build_source(cfg)


def test_missing_file_surfaces_from_the_factory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        build_source(CameraConfig(kind="file", uri=str(tmp_path / "gone.mp4")))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "rtsp", "uri": "http://cam/x"}, "kind rtsp needs an rtsp:// URL"),
        ({"kind": "usb", "uri": "front camera"}, "kind usb needs a device index"),
        ({"kind": "file", "uri": "  "}, "uri is empty"),
        ({"width": 1280}, "both width and height"),
        ({"kind": "tape"}, "Input should be 'file', 'images', 'usb' or 'rtsp'"),
        ({"backoff_max_s": 0}, "greater than 0"),
        ({"fourcc": "MJPEG"}, "at most 4 characters"),
    ],
)
def test_bad_camera_config_is_explained(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CameraConfig.model_validate(fields)


def test_good_camera_configs_validate() -> None:
    CameraConfig()
    CameraConfig(kind="usb", uri="0", width=1280, height=720, fps=30)
    CameraConfig(kind="rtsp", uri="rtsps://user:pw@10.0.0.5/stream1")


def test_parse_device() -> None:
    assert parse_device("2") == 2
    assert parse_device("/dev/video1") == "/dev/video1"
    assert parse_device("/dev/v4l/by-id/usb-Logitech-video-index0") == "/dev/v4l/by-id/usb-Logitech-video-index0"
    with pytest.raises(SourceError, match="v4l2-ctl --list-devices"):
        parse_device("webcam")


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    b = Backoff(0.5, 3.0)
    assert [b.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    b.reset()
    assert b.next_delay() == 0.5


def test_repeated_warnings_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    limited = RateLimitedLog(logging.getLogger("anpr.capture.test"), interval_s=0.2)
    with caplog.at_level(logging.WARNING, logger="anpr.capture.test"):
        for _ in range(50):
            limited.warning("k", "camera %s gone", "c1")
        time.sleep(0.25)
        limited.warning("k", "camera %s gone", "c1")
    assert [r.getMessage() for r in caplog.records] == [
        "camera c1 gone",
        "camera c1 gone (49 similar messages suppressed)",
    ]


def test_unplugged_usb_camera_is_retried_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    # A by-id link that does not exist is exactly what an unplugged camera looks like.
    cfg = CameraConfig(
        kind="usb", uri="/dev/v4l/by-id/usb-absent-video-index0", backoff_initial_s=0.1, backoff_max_s=0.2
    )
    src = UsbSource(cfg)
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    with caplog.at_level(logging.WARNING, logger="anpr.capture"):
        got = list(src.frames(stop))
    src.close()
    assert got == []
    stats = src.stats()
    assert (stats.connected, stats.grabbed, stats.reconnects) == (False, 0, 0)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "usb-absent-video-index0 not available; retrying in 0.1 s" in lines[0]
