"""Shared pieces for the hotlist tests: keys, documents, stores on real SQLite files, a real mosquitto."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.uplink import Mosquitto

from anpr.hotlist import build_hotlist, keys
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.store import HotlistStore


@pytest.fixture(scope="session")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def make_store(tmp_path: Path, key: Ed25519PrivateKey) -> Iterator[Callable[..., HotlistStore]]:
    opened: list[HotlistStore] = []

    def make(**overrides: Any) -> HotlistStore:
        fields: dict[str, Any] = {"csv": None, "trusted_keys": (keys.public_b64(key.public_key()),)}
        fields.update(overrides)
        store = build_hotlist(HotlistConfig(**fields), tmp_path / "state")
        opened.append(store)
        return store

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def mosquitto(broker: Mosquitto) -> int:
    """A real mosquitto on loopback (the shared `broker` of tests/conftest.py); its port."""
    return broker.port
