"""Security headers on every response of the control-room page (a pure ASGI middleware: streams untouched).

`script-src 'self'`: only the page's own files run, so a value from a car that slipped into markup still
cannot execute. Styles allow 'unsafe-inline' because Leaflet positions the map with style attributes.
Images may also come from the configured tile server (`[map] tiles_url`), and from nowhere else.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:{tiles}; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False, tile_origin: str | None = None) -> None:
        self.app = app
        csp = CSP.format(tiles=f" {tile_origin}" if tile_origin else "")
        self.headers = [(b"content-security-policy", csp.encode()), *HEADERS]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)
