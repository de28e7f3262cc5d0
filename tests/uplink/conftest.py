"""Fixtures for the uplink tests (helpers live in tests/helpers/uplink.py; the broker in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import jsonschema
import pytest
from helpers.uplink import Subscriber, load_validator


@pytest.fixture(scope="session")
def schema_validator() -> jsonschema.Draft202012Validator:
    return load_validator()


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
