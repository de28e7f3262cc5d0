"""Shared pieces for the hotlist tests: keys, documents, stores on real SQLite files, a real mosquitto."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hotlist_helpers import free_port

from anpr.hotlist import document
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.store import HotlistStore, open_hotlist


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
        fields: dict[str, Any] = {"csv": None, "trusted_keys": (document.public_b64(key.public_key()),)}
        fields.update(overrides)
        store = open_hotlist(HotlistConfig(**fields), tmp_path / "state")
        opened.append(store)
        return store

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[int]:
    """A real mosquitto on loopback with a temp config; yields its port."""
    exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if exe is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"mosquitto exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)
