"""Fixtures for the uplink tests (helpers live in uplink_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest
from uplink_helpers import MOSQUITTO, Mosquitto, Subscriber, load_validator


@pytest.fixture(scope="session")
def schema_validator() -> jsonschema.Draft202012Validator:
    return load_validator()


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[Callable[..., Mosquitto]]:
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


@pytest.fixture
def subscriber_factory(schema_validator: jsonschema.Draft202012Validator) -> Iterator[Callable[..., Subscriber]]:
    subs: list[Subscriber] = []

    def factory(port: int, topic: str = "#") -> Subscriber:
        s = Subscriber(port, topic, schema_validator)
        subs.append(s)
        return s

    yield factory
    for s in subs:
        s.close()
