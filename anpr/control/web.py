"""The control-room page (Starlette): live hits by Server-Sent Events, cars, filtered reads, exports.

Every route but /login, /healthz and the static files needs a login (anpr.control.auth); viewers see the
live page and hits, operators also search and export, admins also publish hotlists and read the audit.

Handlers are plain functions (Starlette runs them in its thread pool, which suits the blocking DB
drivers); only the event stream (`anpr.control.live`) and the uploads are async.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from anpr.control import passages
from anpr.control.auth import READS, SEARCHING, Auth, client_address, operators_only
from anpr.control.config import MapConfig, WebConfig
from anpr.control.export import car_view, event_json, iso, render
from anpr.control.headers import SecurityHeaders
from anpr.control.live import Hub
from anpr.control.query import filter_from_params
from anpr.control.store import Store
from anpr.control.tiles import MBTiles
from anpr.control.users import audit, audit_log, list_users

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_EVENT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def int_param(req: Request, name: str, default: int, lo: int, hi: int) -> int:
    """A whole-number query parameter within lo..hi; ValueError (a 400) that names it otherwise."""
    raw = req.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} {raw[:40]!r}: expected a whole number {lo}..{hi}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} {value}: expected {lo}..{hi}")
    return value


Publisher = Callable[[bytes], Any]
_SEARCH_KEYS = ("plate", "since", "until", "bbox", "device")


def build_app(
    store: Store,
    cfg: WebConfig,
    hub: Hub,
    stats: Callable[[], dict[str, Any]] | None = None,
    publish: Publisher | None = None,
    map_cfg: MapConfig | None = None,
) -> Starlette:
    auth = Auth(store, cfg)
    need = auth.guard
    map_cfg = map_cfg or MapConfig()
    tiles = MBTiles(map_cfg.mbtiles) if map_cfg.mbtiles else None  # TileError: a clear start-up error
    zone = cfg.zone()

    def params(req: Request) -> dict[str, str]:
        return dict(req.query_params)

    def who(req: Request) -> str:
        return str(req.state.session.user)

    def record(req: Request, action: str) -> None:
        audit(store, who(req), action, str(req.url.path) + ("?" + req.url.query if req.url.query else ""),
              client_address(req))  # fmt: skip

    def bad(err: ValueError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=400)

    def index(_req: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    def events(req: Request) -> Response:
        try:
            flt = filter_from_params(params(req), cfg.max_rows, tz=zone)
        except ValueError as err:
            return bad(err)
        if flt.kind != "hit" or any(req.query_params.get(k) for k in _SEARCH_KEYS):
            if (refused := operators_only(req, SEARCHING)) is not None:
                return refused
            record(req, "search")
        return JSONResponse([event_json(r) for r in store.events(flt)])

    def passage_list(req: Request) -> Response:
        """One row per passage (its events as history); `unreviewed=1`: hits nobody confirmed or dismissed."""
        query = params(req)
        unreviewed = query.pop("unreviewed", "") in ("1", "true")
        try:
            flt = filter_from_params(query, cfg.max_rows, tz=zone)
        except ValueError as err:
            return bad(err)
        if flt.kind != "hit" or any(query.get(k) for k in _SEARCH_KEYS):
            if (refused := operators_only(req, SEARCHING)) is not None:
                return refused
            record(req, "search")
        return JSONResponse(passages.list_passages(store, flt, unreviewed=unreviewed))

    def passage_view(req: Request) -> Response:
        try:
            key = passages.check_key(req.query_params.get("device", ""), req.query_params.get("passage", ""))
        except ValueError as err:
            return bad(err)
        found = passages.passage(store, *key)
        if found is None:
            return JSONResponse({"error": "no such passage"}, status_code=404)
        if found["kind"] != "hit":
            if (refused := operators_only(req, READS)) is not None:
                return refused
            # A read passage is one vehicle's plate, crops and positions looked up: audited as a search is.
            # (Hit passages are on every page live; the page refetches them itself, so no audit row each.)
            record(req, "view-passage")
        return JSONResponse(found)

    async def review(req: Request) -> Response:
        raw = await req.body()
        if len(raw) > 8192:
            return bad(ValueError("review larger than 8 KiB"))
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            key = passages.check_key(str(body.get("device_id", "")), str(body.get("passage_id", "")))
            done = await asyncio.to_thread(passages.review, store, key, body, who(req), client_address(req))
        except ValueError as err:
            return bad(err)
        except LookupError as err:
            return JSONResponse({"error": str(err)}, status_code=404)
        hub.reviewed(key, done.to_json())
        return JSONResponse(done.to_json())

    def settings(_req: Request) -> Response:
        """What the page needs to draw: its time zone and where map tiles come from."""
        url = "/tiles/{z}/{x}/{y}" if tiles is not None else map_cfg.tiles_url
        attribution = map_cfg.attribution or (tiles.attribution if tiles is not None else "")
        return JSONResponse({
            "timezone": cfg.timezone,
            "map": {"tiles_url": url or None, "subdomains": map_cfg.subdomains, "attribution": attribution,
                    "max_zoom": map_cfg.max_zoom, "center": [map_cfg.center_lat, map_cfg.center_lon]},
        })  # fmt: skip

    def tile(req: Request) -> Response:
        if tiles is None:
            return Response(status_code=404)
        try:
            z, x = int(req.path_params["z"]), int(req.path_params["x"])
            y = int(str(req.path_params["y"]).split(".", 1)[0][:12])
        except ValueError:
            return Response(status_code=404)
        found = tiles.tile(z, x, y)
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type=found[1], headers={"Cache-Control": "max-age=86400"})

    def export(req: Request) -> Response:
        fmt = req.path_params["fmt"]
        try:
            flt = filter_from_params(params(req), cfg.max_rows, tz=zone)
            body, media = render(store.events(flt), fmt, zone)
        except ValueError as err:
            return bad(err)
        record(req, "export")
        name = f"anpr-{flt.kind or 'events'}.{fmt}"
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def cars(_req: Request) -> Response:
        now, hl = time.time(), store.hotlists()
        out = []
        for r in store.cars():
            try:
                out.append(car_view(r, hl, now, cfg.offline_after_s))
            except Exception:  # one car's odd row must not hide every car
                log.exception("car %r cannot be shown", r.get("device_id"))
                out.append({"device_id": r.get("device_id"), "state": "unknown", "status_refused": True})
        return JSONResponse(out)

    def crop(req: Request) -> Response:
        event_id = req.path_params["event_id"]
        if not _EVENT_ID.match(event_id):
            return bad(ValueError(f"event id {event_id[:40]!r}: expected a UUID"))
        found = store.crop_of(event_id)
        if found is None:
            return Response(status_code=404)
        kind, data = found
        if kind != "hit" and (refused := operators_only(req, READS)) is not None:
            return refused
        # private: a shared cache must not hand one user's look at a plate to another
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})

    def quarantine(req: Request) -> Response:
        try:
            limit = int_param(req, "limit", 50, 1, 1000)
        except ValueError as err:
            return bad(err)
        rows = store.quarantine(limit)
        for r in rows:
            r["payload"] = r["payload"][:2000].decode("utf-8", "replace")
            r["received_at"] = iso(r["received_at"])
        return JSONResponse(rows)

    def stats_view(_req: Request) -> Response:
        return JSONResponse({"store": store.counts(), "receiver": stats() if stats else None})

    def health(_req: Request) -> Response:
        """For monitoring (no personal data, no login): 503 with the reasons while storing is at risk."""
        r = stats() if stats else {}
        problems = []
        if r and not r.get("writer_alive", True):
            problems.append("the writer thread is not running")
        if r and not r.get("connected", True):
            problems.append("not connected to the broker")
        if r.get("last_error"):
            problems.append(str(r["last_error"]))
        body = {"ok": not problems, "problems": problems, "receiver": r or None}
        return JSONResponse(body, status_code=503 if problems else 200)

    async def hotlist(req: Request) -> Response:
        if publish is None:
            return JSONResponse({"error": "publishing is not set up in this control room"}, status_code=503)
        data = await req.body()
        if len(data) > 64 << 20:
            return bad(ValueError("document larger than 64 MiB"))
        try:
            pub = await asyncio.to_thread(publish, data)
        except Exception as err:  # PublishError / ReceiverError: the message says why
            return JSONResponse({"error": str(err)}, status_code=422)
        await asyncio.to_thread(
            audit, store, who(req), "publish-hotlist", f"{pub.list_name} v{pub.version} ({pub.entries} entries) "
            f"sha256 {pub.sha256}", client_address(req),
        )  # fmt: skip
        return JSONResponse({"topic": pub.topic, "list": pub.list_name, "version": pub.version})

    def audit_view(req: Request) -> Response:
        try:
            limit = int_param(req, "limit", 100, 1, 10000)
        except ValueError as err:
            return bad(err)
        rows = audit_log(store, limit)
        for r in rows:
            r["at"] = iso(r["at"])
        return JSONResponse(rows)

    def users_view(_req: Request) -> Response:
        return JSONResponse([{"name": u["name"], "role": u["role"]} for u in list_users(store)])

    async def stream(req: Request) -> Response:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        reads = req.state.session.allows("operator")  # a viewer's page is pushed hits, as its lists show
        return StreamingResponse(hub.stream(reads=reads), media_type="text/event-stream", headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        hub.attach(asyncio.get_running_loop())
        yield

    routes = [
        Route("/", need("viewer", index)),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", need("viewer", auth.logout), methods=["POST"]),
        Route("/api/me", need("viewer", auth.me)),
        Route("/api/events", need("viewer", events)),
        Route("/api/export.{fmt}", need("operator", export)),
        Route("/api/passages", need("viewer", passage_list)),
        Route("/api/passage", need("viewer", passage_view)),
        Route("/api/passage/review", need("operator", review), methods=["POST"]),
        Route("/api/settings", need("viewer", settings)),
        Route("/tiles/{z:int}/{x:int}/{y}", need("viewer", tile)),
        Route("/api/cars", need("viewer", cars)),
        Route("/api/crop/{event_id}", need("viewer", crop)),
        Route("/api/quarantine", need("operator", quarantine)),
        Route("/api/stats", need("viewer", stats_view)),
        Route("/api/stream", need("viewer", stream)),
        Route("/api/hotlist", need("admin", hotlist), methods=["POST"]),
        Route("/api/audit", need("admin", audit_view)),
        Route("/api/users", need("admin", users_view)),
        Route("/healthz", health),  # monitoring: no login, no personal data
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=cfg.hosts()),
        Middleware(SecurityHeaders, hsts=cfg.tls_enabled or cfg.behind_tls_proxy, tile_origin=map_cfg.tile_origin()),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
