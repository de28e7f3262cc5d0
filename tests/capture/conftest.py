"""Fixtures for the capture tests: a small real video, and a real RTSP server on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.capture import RtspServer, free_port, gst_rtsp_unusable, write_video


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """A 64-frame 320x240 25 fps mp4v file whose frames carry their numbers."""
    return write_video(tmp_path / "clip.mp4")


@pytest.fixture
def rtsp_server(tmp_path: Path) -> Iterator[Callable[..., RtspServer]]:
    reason = gst_rtsp_unusable()
    if reason:
        pytest.skip(reason)
    servers: list[RtspServer] = []

    def make(*args: str) -> RtspServer:
        server = RtspServer(free_port(), tmp_path / f"rtsp-{len(servers)}.log", args)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        with contextlib.suppress(Exception):
            server.kill()
