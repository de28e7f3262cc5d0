"""Helpers for the gps tests: NMEA logs built with pynmea2 (real checksums), a straight-line
track at a known speed, free ports and a gpsfake runner."""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import time
import tty
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pynmea2

from anpr.gps.config import GpsConfig

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)  # live GPS times before the release are refused
LAT0, LON0 = -33.4489, -70.6693  # Santiago
M_PER_DEG = 111_320.0


def _dm(value: float, pos: str, neg: str, width: int) -> tuple[str, str]:
    hemi = pos if value >= 0 else neg
    v = abs(value)
    deg = int(v)
    return f"{deg:0{width}d}{(v - deg) * 60:09.6f}", hemi


def sentences(
    t: datetime,
    lat: float,
    lon: float,
    speed_mps: float,
    heading: float,
    *,
    kinds: tuple[str, ...] = ("RMC", "VTG", "GGA"),
    hdop: float = 0.9,
    valid: bool = True,
) -> list[str]:
    """One epoch as NMEA lines with correct checksums."""
    la, lh = _dm(lat, "N", "S", 2)
    lo, oh = _dm(lon, "E", "W", 3)
    ts, ds = t.strftime("%H%M%S.%f")[:9], t.strftime("%d%m%y")
    kn, kmh = f"{speed_mps / 0.514444:.3f}", f"{speed_mps * 3.6:.3f}"
    out: list[str] = []
    data: tuple[str, ...]
    for kind in kinds:
        if kind == "RMC":
            data = (ts, "A" if valid else "V", la, lh, lo, oh, kn, f"{heading:.2f}", ds, "", "", "A")
            out.append(str(pynmea2.RMC("GP", "RMC", data)))
        elif kind == "GGA":
            data = (ts, la, lh, lo, oh, "1" if valid else "0", "09", f"{hdop:.1f}", "550.0", "M", "30.0", "M", "", "")
            out.append(str(pynmea2.GGA("GP", "GGA", data)))
        elif kind == "VTG":
            out.append(str(pynmea2.VTG("GP", "VTG", (f"{heading:.2f}", "T", "", "M", kn, "N", kmh, "K", "A"))))
        elif kind == "GSA":
            data = ("A", "3", "04", "05", "09", "12", "", "", "", "", "", "", "", "", "1.8", f"{hdop:.1f}", "1.5")
            out.append(str(pynmea2.GSA("GP", "GSA", data)))
    return out


def point_along(lat0: float, lon0: float, heading: float, distance_m: float) -> tuple[float, float]:
    h = math.radians(heading)
    lat = lat0 + distance_m * math.cos(h) / M_PER_DEG
    lon = lon0 + distance_m * math.sin(h) / (M_PER_DEG * math.cos(math.radians(lat0)))
    return lat, lon


def straight_track(
    n: int, *, speed_mps: float = 20.0, heading: float = 60.0, start: datetime = T0, step_s: float = 1.0, **kw: object
) -> list[str]:
    """`n` epochs along a straight line from (LAT0, LON0) at a constant speed."""
    lines: list[str] = []
    for i in range(n):
        lat, lon = point_along(LAT0, LON0, heading, speed_mps * step_s * i)
        lines += sentences(start + timedelta(seconds=step_s * i), lat, lon, speed_mps, heading, **kw)  # type: ignore[arg-type]
    return lines


def nmea_bytes(lines: list[str]) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(cond, timeout: float = 10.0, step: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())


def gps_cfg(**kw: object) -> GpsConfig:
    base: dict[str, object] = {"backoff_max_s": 1.0, "log_interval_s": 0.0}
    return GpsConfig.model_validate(base | kw)


class GpsFake:
    """Debian's gpsfake (gpsd fed from a log through a pty) on a private port; stoppable and restartable."""

    def __init__(self, log: Path, port: int) -> None:
        self.log, self.port = log, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # -c: seconds between sentences; -1: play the log once; -q: quiet; -P: gpsd's port.
        self.proc = subprocess.Popen(
            ["gpsfake", "-P", str(self.port), "-1", "-q", "-c", "0.05", str(self.log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # gpsfake and the gpsd it started
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None


class Pty:
    """A pty pair behind a stable symlink, like a udev /dev/gps0 name: `unplug` closes it, `plug` makes a
    new one and points the link at it."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo back into the master, as a real UART
        name = os.ttyname(slave)
        os.close(slave)
        tmp = self.link.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(name)
        os.replace(tmp, self.link)
        self.master = master

    def unplug(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def write(self, data: bytes) -> None:
        assert self.master is not None
        os.write(self.master, data)
