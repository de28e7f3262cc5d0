"""Fixtures for the end-to-end tests: a real mosquitto, a real HTTPS server, real hotlist keys and documents
made with the `anpr hotlist` CLI, a real RTSP server. Helpers of other areas are reused by module name."""

from __future__ import annotations

import hashlib
import http.server
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from integration_helpers import SAMPLES, RtspPlayer, Signer, rtsp_unusable
from tls_certs import make_ca, make_leaf, write_pair
from uplink_helpers import free_port, load_validator


@pytest.fixture(scope="session")
def validator() -> jsonschema.Draft202012Validator:
    return load_validator()


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    d = tmp_path / "control-room"
    d.mkdir()
    return Signer(d)


class _Server(http.server.ThreadingHTTPServer):
    body: bytes = b""
    hits: int = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.hits += 1
        etag = '"' + hashlib.sha256(self.server.body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[_Server, str, Path]]:
    """A real TLS server on loopback with its own CA; yields (server, url, ca file). Set `server.body`."""
    d = tmp_path / "tls"
    d.mkdir()
    ca = make_ca("integration CA")
    _, ca_file = write_pair(ca, d, "ca")
    key_file, cert_file = write_pair(make_leaf(ca, "localhost", server=True), d, "server")
    server = _Server(("127.0.0.1", 0), _Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"https://localhost:{server.server_address[1]}/hotlist/national", ca_file
    server.shutdown()
    server.server_close()


@pytest.fixture
def rtsp_player(tmp_path: Path) -> Iterator[Callable[..., RtspPlayer]]:
    reason = rtsp_unusable()
    if reason:
        pytest.skip(reason)
    players: list[RtspPlayer] = []

    def make(clip: str, width: int, height: int, fps: int) -> RtspPlayer:
        p = RtspPlayer(free_port(), SAMPLES / clip, tmp_path / f"rtsp-{len(players)}.log", width, height, fps)
        players.append(p)
        return p

    yield make
    for p in players:
        p.stop()
