"""RtspSource against a real gst-rtsp-server on loopback (scripts/rtsp_server.py, H.264 over TCP)."""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime

import pytest
from helpers.capture import RtspServer
from helpers.clips import SAMPLE_VIDEOS

from anpr.capture.base import Source
from anpr.capture.config import CameraConfig
from anpr.capture.rtsp import FFMPEG_OPTIONS_ENV, RtspSource
from anpr.core.redact import redact
from anpr.types import Frame

FRAME_BYTES = 320 * 240 * 3


def rtsp_cfg(url: str) -> CameraConfig:
    return CameraConfig(
        id="gate",
        kind="rtsp",
        uri=url,
        open_timeout_s=2.0,
        read_timeout_s=2.0,
        backoff_initial_s=0.2,
        backoff_max_s=1.0,
    )


class Consumer:
    """Iterates `frames()` in a thread, optionally slowly, keeping only (seq, captured_at, shape)."""

    def __init__(self, src: RtspSource, delay_s: float = 0.0) -> None:
        self.src = src
        self.delay_s = delay_s
        self.stop = threading.Event()
        self.seen: list[tuple[int, datetime, tuple[int, ...]]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        frame: Frame
        for frame in self.src.frames(self.stop):
            self.seen.append((frame.seq, frame.captured_at, frame.image.shape))
            if self.delay_s:
                time.sleep(self.delay_s)

    def wait_for(self, n: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while len(self.seen) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(self.seen) >= n

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive(), "frames() did not return after stop was set"


def wait_until(cond: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.05)
    return cond()


def test_reconnects_after_the_server_dies(rtsp_server: Callable[[], RtspServer]) -> None:
    server = rtsp_server()
    src = RtspSource(rtsp_cfg(server.url))
    assert isinstance(src, Source) and src.live
    consumer = Consumer(src)
    try:
        assert consumer.wait_for(10, timeout_s=10), f"no frames from the server: {src.stats()}"
        assert src.stats().connected
        assert consumer.seen[0][2] == (240, 320, 3)

        server.kill()  # mid-stream, no RTSP TEARDOWN
        assert wait_until(lambda: not src.stats().connected, timeout_s=5), "loss not noticed"
        before = len(consumer.seen)
        time.sleep(1.0)  # the source retries against a closed port meanwhile: no crash, no frames
        assert len(consumer.seen) <= before + 1
        assert src.stats().reconnects == 0

        server.start()  # same port, as a rebooted camera
        assert consumer.wait_for(before + 10, timeout_s=12), f"frames did not flow again: {src.stats()}"
        stats = src.stats()
        assert stats.connected
        assert stats.reconnects >= 1
    finally:
        consumer.finish()
        src.close()

    stats = src.stats()
    seqs = [s for s, _, _ in consumer.seen]
    assert seqs == list(range(len(seqs)))  # seq stays gapless across the reconnect
    stamps = [t for _, t, _ in consumer.seen]
    assert stamps == sorted(stamps) and stamps[0].tzinfo is not None
    assert stats.frames == len(consumer.seen)
    # every grabbed frame was delivered or counted as dropped; at most one still waited in the slot
    assert stats.grabbed - stats.frames - stats.dropped in (0, 1)
    assert not stats.connected


def test_slow_consumer_drops_instead_of_queueing(rtsp_server: Callable[[], RtspServer]) -> None:
    server = rtsp_server()
    src = RtspSource(rtsp_cfg(server.url))
    consumer = Consumer(src, delay_s=0.25)  # ~4 fps against a 25 fps camera
    try:
        assert consumer.wait_for(2, timeout_s=10), f"no frames from the server: {src.stats()}"
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        dropped_before = src.stats().dropped
        time.sleep(3.0)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stats = src.stats()
    finally:
        consumer.finish()
        src.close()
    assert stats.dropped - dropped_before >= 25, stats  # ~60 frames overwritten in 3 s
    assert stats.dropped > stats.frames
    assert stats.grabbed - stats.frames - stats.dropped in (0, 1)
    # ~75 frames of 230 kB were decoded meanwhile; only a handful were ever alive at once
    assert peak - base < 8 * FRAME_BYTES, (peak - base, stats)
    assert abs(current - base) < 4 * FRAME_BYTES


def test_unreachable_camera_is_retried_not_raised() -> None:
    # Nothing listens on this port: the open fails fast, the source keeps retrying with back-off.
    from helpers.capture import free_port

    src = RtspSource(rtsp_cfg(f"rtsp://127.0.0.1:{free_port()}/cam"))
    stop = threading.Event()
    timer = threading.Timer(1.5, stop.set)
    timer.start()
    t0 = time.monotonic()
    got = list(src.frames(stop))
    elapsed = time.monotonic() - t0
    src.close()
    assert got == []
    assert 1.4 < elapsed < 3.0  # frames() returned promptly once stop was set
    stats = src.stats()
    assert (stats.connected, stats.reconnects, stats.grabbed) == (False, 0, 0)


def test_password_is_not_logged() -> None:
    assert redact("rtsp://admin:s3cr3t@10.0.0.5:554/stream1") == "rtsp://admin:***@10.0.0.5:554/stream1"
    assert redact("rtsp://10.0.0.5/stream1") == "rtsp://10.0.0.5/stream1"


def test_first_frames_after_connect_come_at_the_camera_pace(rtsp_server: Callable[..., RtspServer]) -> None:
    # FFmpeg's stream probe read 20 frames to guess a frame rate before the open returned, then handed them
    # over at once: the worker's queue took 3 of that burst and dropped the rest, so what passed in the first
    # 0.8 s after every (re)connect was never looked at (`anpr bench live`: the first car of gantry_queue and
    # parked_row, missed). Served as a camera sends it: the clip's own H.264, not re-encoded.
    server = rtsp_server(str(SAMPLE_VIDEOS / "night_ir.mp4"), "--passthrough")
    src = RtspSource(rtsp_cfg(server.url))
    consumer = Consumer(src)
    try:
        assert consumer.wait_for(12, timeout_s=10), f"no frames from the server: {src.stats()}"
    finally:
        consumer.finish()
        src.close()
    stamps = [t for _, t, _ in consumer.seen[:12]]
    gaps = [round((b - a).total_seconds(), 3) for a, b in itertools.pairwise(stamps)]
    # 11 intervals of a 25 fps camera: 0.44 s; a probe burst delivers its frames within a few decode times
    assert sum(gaps) > 0.25, f"the first 12 frames came {gaps} s apart: a burst, not a live stream"


def test_an_operators_own_ffmpeg_options_are_kept_and_said(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(FFMPEG_OPTIONS_ENV, "rtsp_transport;udp")
    with caplog.at_level(logging.WARNING, logger="anpr.capture.rtsp"):
        RtspSource(rtsp_cfg("rtsp://127.0.0.1:1/cam")).close()
        RtspSource(rtsp_cfg("rtsp://127.0.0.1:2/cam")).close()
    assert os.environ[FFMPEG_OPTIONS_ENV] == "rtsp_transport;udp"  # theirs, not ours
    said = [r.getMessage() for r in caplog.records if FFMPEG_OPTIONS_ENV in r.getMessage()]
    assert len(said) == 1 and "fpsprobesize;0" in said[0] and "burst" in said[0], said
