"""Fixtures every test area shares: a real mosquitto broker on loopback.

The broker helpers live in tests/uplink/uplink_helpers.py (with the subscriber and the TLS certificate
makers); that folder is put on the import path here once, for every area.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "uplink"))

from uplink_helpers import MOSQUITTO, Mosquitto


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[Callable[..., Mosquitto]]:
    """Starts real mosquitto brokers on free loopback ports (extra config lines allowed); stops them after."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto not installed (apt-get install mosquitto)")
    brokers: list[Mosquitto] = []

    def factory(extra_conf: str = "", start: bool = True, listener: str = "") -> Mosquitto:
        d = tmp_path / f"broker{len(brokers)}"
        d.mkdir()
        b = Mosquitto(d, extra_conf, listener=listener)
        brokers.append(b)
        if start:
            b.start()
        return b

    yield factory
    for b in brokers:
        b.stop()


@pytest.fixture
def broker(mosquitto_factory: Callable[..., Mosquitto]) -> Mosquitto:
    return mosquitto_factory()
