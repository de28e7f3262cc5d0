"""Fixtures for the end-to-end tests: a real mosquitto, a real HTTPS server, real hotlist keys and documents
made with the `anpr hotlist` CLI, a real RTSP server. Helpers of other areas are reused by module name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest
from helpers.integration import SAMPLES, Signer
from helpers.uplink import free_port, load_validator

from anpr.bench.rtsp import RtspCamera, rtsp_unusable


@pytest.fixture(scope="session")
def validator() -> jsonschema.Draft202012Validator:
    return load_validator()


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    d = tmp_path / "control-room"
    d.mkdir()
    return Signer(d)


@pytest.fixture
def rtsp_player(tmp_path: Path) -> Iterator[Callable[..., RtspCamera]]:
    reason = rtsp_unusable()
    if reason:
        pytest.skip(reason)
    players: list[RtspCamera] = []

    def make(clip: str, width: int, height: int, fps: int) -> RtspCamera:
        log = tmp_path / f"rtsp-{len(players)}.log"
        p = RtspCamera(SAMPLES / clip, log, width=width, height=height, fps=fps, port=free_port())
        players.append(p)
        return p

    yield make
    for p in players:
        p.stop()
