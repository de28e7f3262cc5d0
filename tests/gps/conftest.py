"""Fixtures of the gps tests (helpers live in tests/helpers/gps.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.gps import GpsFake, Pty


@pytest.fixture
def gpsfake_factory(tmp_path: Path) -> Iterator[type[GpsFake]]:
    if shutil.which("gpsfake") is None or shutil.which("gpsd") is None:
        pytest.skip("gpsfake/gpsd not installed (Debian packages gpsd, gpsd-clients)")
    made: list[GpsFake] = []

    class _Tracked(GpsFake):
        def __init__(self, log: Path, port: int) -> None:
            super().__init__(log, port)
            made.append(self)

    yield _Tracked
    for g in made:
        g.stop()


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[Pty]:
    """A pseudo-terminal standing for a serial GPS receiver behind a stable /dev/gps0-like link."""
    p = Pty(tmp_path / "gps0")
    p.plug()
    yield p
    p.unplug()
