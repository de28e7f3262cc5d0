"""Fixtures every test area shares: a real mosquitto broker and a real HTTPS hotlist server on loopback.

The broker helpers live in tests/helpers/uplink.py (with the subscriber and the TLS certificate
makers); that folder is put on the import path here once, for every area.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.https_server import HotlistHandler, HotlistHttpServer
from helpers.tls_certs import make_ca, make_leaf, write_pair
from helpers.uplink import MOSQUITTO, Mosquitto


@pytest.fixture(autouse=True, scope="session")
def _private_state_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The default state_dir ($XDG_STATE_HOME/anpr) of every config the tests build, and of the `anpr`
    processes they start, is a session folder: never the developer's ~/.local/state/anpr."""
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("xdg-state"))


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


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[HotlistHttpServer, str, Path]]:
    """A real TLS server on loopback with its own CA; yields (server, url, CA file). Set `server.body`."""
    d = tmp_path / "tls"
    d.mkdir()
    ca = make_ca("test hotlist CA")
    _, ca_file = write_pair(ca, d, "ca")
    key_file, cert_file = write_pair(make_leaf(ca, "localhost", server=True), d, "server")
    server = HotlistHttpServer(("127.0.0.1", 0), HotlistHandler)
    server.requests = []
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"https://localhost:{server.server_address[1]}/hotlist/national", ca_file
    server.shutdown()
    server.server_close()
