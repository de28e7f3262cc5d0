"""Positions from gpsd (the usual daemon on a Linux car PC) through gpsd-py3.

gpsd-py3 keeps one connection in module globals, so one `GpsdPosition` per process (a lock enforces it).
Its `get_current()` insists the next line is the POLL answer; gpsd may interleave DEVICE or ERROR
messages, so the poll is written here on the library's stream, reading lines until the POLL answer, which
the library then decodes (`GpsResponse.from_json`). A dead gpsd (EOF, timeout, refused) ends the session
and the reader reconnects with back-off.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
from datetime import datetime, timezone
from typing import Any

import gpsd

from anpr.gps.clock import Clock
from anpr.gps.config import GpsConfig
from anpr.gps.live import LivePosition
from anpr.types import Fix

log = logging.getLogger(__name__)

_MODULE_LOCK = threading.Lock()  # gpsd-py3's connection is a module global
MAX_LINES_PER_POLL = 20


def parse_time(s: object) -> datetime | None:
    if not isinstance(s, str) or not s:
        return None
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


class GpsdPosition(LivePosition):
    kind = "gpsd"

    def __init__(self, cfg: GpsConfig, clock: Clock) -> None:
        super().__init__(cfg, clock)
        self.polls_ok = 0
        self.polls_bad = 0
        self._last_time: datetime | None = None

    def describe(self) -> str:
        return f"gpsd:{self.cfg.gpsd_host}:{self.cfg.gpsd_port}"

    def counts(self) -> tuple[int, int]:
        return self.polls_ok, self.polls_bad

    def run_session(self, stop: threading.Event) -> None:
        if not _MODULE_LOCK.acquire(blocking=False):
            raise RuntimeError("another gpsd source holds gpsd-py3's connection in this process")
        try:
            try:
                gpsd.connect(host=self.cfg.gpsd_host, port=self.cfg.gpsd_port)
            except (OSError, ValueError, KeyError, Exception) as err:  # the library raises bare Exception too
                self.set_error("connect", "cannot connect to gpsd (%s); retrying", err)
                return
            gpsd.gpsd_socket.settimeout(self.cfg.gpsd_timeout_s)
            self.connected = True
            log.info("%s: connected", self.describe())
            while not stop.is_set():
                self._poll_once()
                stop.wait(self.cfg.gpsd_poll_s)
        finally:
            self._disconnect()
            _MODULE_LOCK.release()

    def _poll_once(self) -> None:
        stream = gpsd.gpsd_stream
        stream.write("?POLL;\n")
        stream.flush()
        for _ in range(MAX_LINES_PER_POLL):
            raw = stream.readline()
            if not raw:
                raise ConnectionError("gpsd closed the connection")
            try:
                packet = json.loads(raw)
            except ValueError:
                self.polls_bad += 1
                self.set_error("json", "gpsd sent a line that is not JSON: %.60r", raw)
                continue
            if isinstance(packet, dict) and packet.get("class") == "POLL":
                self._handle_poll(packet)
                return
        raise ConnectionError(f"no POLL answer within {MAX_LINES_PER_POLL} lines")

    def _handle_poll(self, packet: dict[str, Any]) -> None:
        tpvs = packet.get("tpv") or []
        if not packet.get("active") or not tpvs:
            self.polls_ok += 1
            self.error = "gpsd has no active receiver"
            return
        try:
            resp = gpsd.GpsResponse.from_json(packet | {"sky": packet.get("sky") or [{}]})
            fix = self._to_fix(resp, tpvs[-1], (packet.get("sky") or [{}])[-1])
        except (ValueError, KeyError, TypeError, IndexError, UserWarning) as err:
            self.polls_bad += 1
            self.set_error("tpv", "unusable fix from gpsd (%s)", err)
            return
        self.polls_ok += 1
        if fix is None:
            return
        if self._last_time is not None and fix.fixed_at <= self._last_time:
            return  # gpsd repeats its last TPV until a new one arrives
        self._last_time = fix.fixed_at
        self.error = ""
        self.add_fix(fix)

    def _to_fix(self, resp: gpsd.GpsResponse, tpv: dict[str, Any], sky: dict[str, Any]) -> Fix | None:
        if resp.mode < 2 or "lat" not in tpv or "lon" not in tpv:
            return None
        at = parse_time(resp.time)
        if at is None:
            return None  # gpsd has a position but no time yet: cannot be placed on the timeline
        lat, lon = float(resp.lat), float(resp.lon)
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"lat/lon out of range: {lat} {lon}")
        if at.year < self.cfg.min_valid_year:
            raise ValueError(f"date {at.date()} before {self.cfg.min_valid_year}")
        speed = float(tpv["speed"]) if "speed" in tpv else None
        heading = float(tpv["track"]) % 360.0 if "track" in tpv else None
        hdop = sky.get("hdop")
        return Fix(
            lat=lat,
            lon=lon,
            speed_mps=speed if speed is not None and math.isfinite(speed) and speed >= 0 else None,
            heading_deg=heading if heading is not None and math.isfinite(heading) else None,
            hdop=float(hdop) if isinstance(hdop, (int, float)) else None,
            mode="3d" if resp.mode >= 3 else "2d",
            fixed_at=at,
            source="gpsd",
        )

    def _disconnect(self) -> None:
        sock = gpsd.gpsd_socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def interrupt(self) -> None:
        pass  # the session wakes within gpsd_poll_s or gpsd_timeout_s and sees the stop flag
