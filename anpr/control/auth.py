"""Login for the control-room page: the login routes, role checks and the failed-login throttle.

`guard(role, handler)` wraps a route: no session -> 401 (the page: a redirect to /login), too low a role
-> 403, a POST without the session's CSRF token -> 403. The login POST itself has no session yet: it
must be JSON (a cross-site form cannot send that without a CORS preflight, which we never grant) and,
when the browser sends an Origin, come from this very page.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from anpr.control.config import WebConfig
from anpr.control.store import Store
from anpr.control.users import Role, Session, close_session, open_session, session_of, verify

log = logging.getLogger(__name__)
COOKIE = "anpr_session"
SEARCHING, READS = "searching needs", "reads need"  # operators_only's refusals
STATIC = Path(__file__).parent / "static"
Handler = Callable[[Request], Awaitable[Response]]


def operators_only(req: Request, what: str) -> JSONResponse | None:
    """Within a viewer's route: a 403 when a viewer (who sees hits only) asks for a search or a read
    (`what`: SEARCHING or READS); None for an operator or admin."""
    if req.state.session.allows("operator"):
        return None
    return JSONResponse({"error": f"{what} the operator role (viewers see hits)"}, status_code=403)


class LoginThrottle:
    """At most `per_user` failed logins per user name and `per_address` per client address in `window_s`."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window_s: float = 900.0) -> None:
        self.limits = {"user": per_user, "address": per_address}
        self.window_s = window_s
        self._fails: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] < now - self.window_s:
            q.popleft()
        return q

    def wait_s(self, user: str, address: str) -> float:
        """0 when a login may be tried now, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            waits = [0.0]
            for kind, key in (("user", user), ("address", address)):
                q = self._recent((kind, key), now)
                if len(q) >= self.limits[kind]:
                    waits.append(q[0] + self.window_s - now)
            return max(waits)

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._fails) > 100_000:  # bounded memory under a spray of names
                self._fails.clear()
            for kind, key in (("user", user), ("address", address)):
                self._recent((kind, key), now).append(now)


def client_address(req: Request) -> str:
    return req.client.host if req.client else "?"


class Auth:
    def __init__(self, store: Store, cfg: WebConfig) -> None:
        self.store, self.cfg = store, cfg
        self.throttle = LoginThrottle(cfg.login_attempts, cfg.login_attempts * 4, cfg.login_window_s)

    @property
    def secure_cookie(self) -> bool:
        return self.cfg.tls_enabled or self.cfg.behind_tls_proxy

    def session(self, req: Request) -> Session | None:
        return session_of(self.store, req.cookies.get(COOKIE))

    def guard(self, role: Role, handler: Callable[[Request], Response | Awaitable[Response]]) -> Handler:
        async def run(req: Request) -> Response:
            s = await asyncio.to_thread(self.session, req)
            if s is None:
                if req.url.path == "/":
                    return RedirectResponse("/login", status_code=303)
                return JSONResponse({"error": "log in first"}, status_code=401)
            if not s.allows(role):
                return JSONResponse({"error": f"needs the {role} role (you are {s.role})"}, status_code=403)
            if req.method == "POST" and not hmac.compare_digest(req.headers.get("x-csrf-token", ""), s.csrf):
                return JSONResponse({"error": "missing or wrong X-CSRF-Token"}, status_code=403)
            req.state.session = s
            if inspect.iscoroutinefunction(handler):
                return await handler(req)  # type: ignore[no-any-return]
            out = await asyncio.to_thread(handler, req)  # the DB drivers block: off the event loop
            assert isinstance(out, Response)
            return out

        return run

    # -- routes ----------------------------------------------------------------------------------------
    def login_page(self, _req: Request) -> Response:
        return FileResponse(STATIC / "login.html")

    async def login(self, req: Request) -> Response:
        if req.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "expected application/json"}, status_code=415)
        origin = req.headers.get("origin")
        if origin is not None and origin != f"{req.url.scheme}://{req.headers.get('host', '')}":
            return JSONResponse({"error": "cross-site login refused"}, status_code=403)
        try:
            body = json.loads((await req.body())[:4096])
            name, password = str(body["user"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'expected {"user": ..., "password": ...}'}, status_code=400)
        addr = client_address(req)
        wait = self.throttle.wait_s(name, addr)
        if wait > 0:
            log.warning("login for %r from %s refused: too many failed attempts", name[:64], addr)
            return JSONResponse(
                {"error": f"too many failed logins: try again in {wait:.0f} s"},
                status_code=429,
                headers={"Retry-After": str(int(wait) + 1)},
            )
        role = await asyncio.to_thread(verify, self.store, name, password)
        if role is None:
            self.throttle.failed(name, addr)
            log.warning("failed login for %r from %s", name[:64], addr)
            return JSONResponse({"error": "wrong user or password"}, status_code=401)
        token, s = await asyncio.to_thread(open_session, self.store, name, self.cfg.session_hours)
        log.info("user %s (%s) logged in from %s", name, role, addr)
        resp = JSONResponse({"user": s.user, "role": s.role, "csrf": s.csrf})
        resp.set_cookie(
            COOKIE, token, max_age=int(self.cfg.session_hours * 3600), httponly=True, samesite="strict",
            secure=self.secure_cookie, path="/",
        )  # fmt: skip
        return resp

    def logout(self, req: Request) -> Response:
        close_session(self.store, req.cookies.get(COOKIE))
        resp = JSONResponse({"ok": True})
        resp.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=self.secure_cookie)
        return resp

    def me(self, req: Request) -> Response:
        s: Session = req.state.session
        return JSONResponse({"user": s.user, "role": s.role, "csrf": s.csrf})
