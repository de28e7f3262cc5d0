"""A real HTTPS server for hotlist pulls in tests (the shared `https_server` fixture in tests/conftest.py)."""

from __future__ import annotations

import hashlib
import http.server
from typing import Any


class HotlistHttpServer(http.server.ThreadingHTTPServer):
    """Serves `body` with an ETag and Last-Modified; answers 304 to a matching If-None-Match."""

    body: bytes = b""
    requests: list[dict[str, str]]


class HotlistHandler(http.server.BaseHTTPRequestHandler):
    server: HotlistHttpServer

    def do_GET(self) -> None:
        self.server.requests.append(dict(self.headers))
        etag = '"' + hashlib.sha256(self.server.body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass
