"""Helpers for the end-to-end tests: `anpr run`/`anpr replay` as real subprocesses, temp TOML configs,
the outbox read back with SQLite, NMEA re-stamped to now on a real pty, an RTSP server playing a sample."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import tty
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pynmea2

from helpers.uplink import wait_until as wait_until  # one poll helper for the tests

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_videos"
_BIN = Path(sys.executable).parent / "anpr"
ANPR = [str(_BIN)] if _BIN.exists() else [sys.executable, "-m", "anpr"]


# -- configs -------------------------------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v))  # a JSON string is a valid TOML basic string


def write_config(
    path: Path, top: Mapping[str, Any], cameras: list[Mapping[str, Any]], **sections: Mapping[str, Any]
) -> Path:
    """A TOML config: top-level keys, `[[cameras]]` tables, then one table per section."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in top.items()]
    for cam in cameras:
        lines += ["", "[[cameras]]", *(f"{k} = {_toml_value(v)}" for k, v in cam.items())]
    for name, table in sections.items():
        lines += ["", f"[{name}]", *(f"{k} = {_toml_value(v)}" for k, v in table.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


# -- processes -----------------------------------------------------------------------------------------


def anpr(*args: str, timeout: float = 120, check_rc: int | None = None) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([*ANPR, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if check_rc is not None:
        assert res.returncode == check_rc, f"anpr {' '.join(args)} -> {res.returncode}\n{res.stderr[-3000:]}"
    return res


class Daemon:
    """`anpr run -c CONFIG` as a subprocess; stderr goes to a file so a long run never blocks on a pipe."""

    def __init__(self, config: Path, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [*ANPR, "run", "-c", str(config)], cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"anpr run did not end in {timeout} s; log tail:\n{self.log()[-3000:]}") from None

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


def assert_clean_log(text: str) -> None:
    assert "Traceback" not in text, f"traceback in the log:\n{text[-4000:]}"


# -- the outbox, read back -----------------------------------------------------------------------------


def outbox_rows(path: Path) -> list[dict[str, Any]]:
    """Every event in the outbox (readable while the daemon writes: WAL), oldest first, with delivery state."""
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        rows = conn.execute("SELECT payload, delivered_at FROM events ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        conn.close()
    out = []
    for payload, delivered_at in rows:
        ev = json.loads(payload)
        ev["_delivered"] = delivered_at is not None
        out.append(ev)
    return out


def plates(events: list[dict[str, Any]], kind: str | None = None) -> set[str]:
    return {e["plate"] for e in events if kind is None or e["kind"] == kind}


# -- the control room ---------------------------------------------------------------------------------


class Signer:
    """The control room: a key pair from `anpr hotlist keygen`, documents from `anpr hotlist sign`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        anpr("hotlist", "keygen", "--out", str(folder / "control"), check_rc=0)
        self.private = folder / "control.key"
        self.public = folder / "control.pub"

    def sign(self, plates: list[str], version: int, reason: str = "robo") -> bytes:
        csv = self.folder / f"list-v{version}.csv"
        rows = [f"{p},national,{reason},1,carabineros,integration test,false" for p in plates]
        csv.write_text("plate,list_name,reason,priority,source,note,covert\n" + "\n".join(rows) + "\n")
        out = self.folder / f"list-v{version}.anprhl"
        anpr("hotlist", "sign", str(csv), "--key", str(self.private), "--version", str(version), "--out", str(out),
             check_rc=0)  # fmt: skip
        return out.read_bytes()


# -- GPS: the patrol clip's route, re-stamped to now, on a real pty ------------------------------------


def patrol_route() -> list[tuple[datetime, float, float, float, float]]:
    """(time, lat, lon, speed m/s, heading) of each RMC in sample_videos/patrol.nmea."""
    out = []
    for line in (SAMPLES / "patrol.nmea").read_text().splitlines():
        msg = pynmea2.parse(line)
        if isinstance(msg, pynmea2.RMC):
            t = datetime.combine(msg.datestamp, msg.timestamp).replace(tzinfo=timezone.utc)
            out.append((t, msg.latitude, msg.longitude, float(msg.spd_over_grnd) * 0.514444, float(msg.true_course)))
    return out


def route_at(route: list[tuple[datetime, float, float, float, float]], elapsed_s: float) -> tuple[float, float]:
    """The position `elapsed_s` after the route's first fix, linear along the route (extended past its end)."""
    t0, lat0, lon0 = route[0][:3]
    tn, latn, lonn = route[-1][:3]
    f = elapsed_s / (tn - t0).total_seconds()
    return lat0 + f * (latn - lat0), lon0 + f * (lonn - lon0)


def _dm(value: float, width: int) -> str:
    v = abs(value)
    deg = int(v)
    return f"{deg:0{width}d}{(v - deg) * 60:08.5f}"


def epoch_sentences(t: datetime, lat: float, lon: float, speed_mps: float, heading: float) -> bytes:
    """RMC + VTG + GGA for one epoch, checksums by pynmea2."""
    ts, ds = t.strftime("%H%M%S.%f")[:9], t.strftime("%d%m%y")
    la, lh = _dm(lat, 2), "S" if lat < 0 else "N"
    lo, oh = _dm(lon, 3), "W" if lon < 0 else "E"
    kn = f"{speed_mps / 0.514444:.2f}"
    rmc = pynmea2.RMC("GP", "RMC", (ts, "A", la, lh, lo, oh, kn, f"{heading:.1f}", ds, "1.5", "E", "A"))
    vtg = pynmea2.VTG("GP", "VTG", (f"{heading:.1f}", "T", "", "M", kn, "N", f"{speed_mps * 3.6:.1f}", "K", "A"))
    gga = pynmea2.GGA("GP", "GGA", (ts, la, lh, lo, oh, "1", "09", "0.9", "28.0", "M", "24.6", "M", "", ""))
    return "".join(f"{s}\r\n" for s in (rmc, vtg, gga)).encode()


class NmeaPty:
    """A real pseudo-terminal: the daemon opens `link` with pyserial; a thread writes the patrol route
    there at `rate_hz`, each epoch stamped with the current time (a receiver in a moving car)."""

    def __init__(self, link: Path, rate_hz: float = 2.0) -> None:
        self.link = link
        self.master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: as a real UART
        os.set_blocking(self.master, False)  # a port nobody reads must not stall the writer
        self.slave_name = os.ttyname(slave)
        os.symlink(self.slave_name, link)
        self._slave = slave  # kept open so writes never fail with EIO while nobody has the port open
        self.route = patrol_route()
        self.rate_hz = rate_hz
        self.started = datetime.now(timezone.utc)
        self.written: list[tuple[datetime, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        _, _, _, speed, heading = self.route[0]
        while not self._stop.is_set():
            now = datetime.now(timezone.utc)
            lat, lon = route_at(self.route, (now - self.started).total_seconds())
            try:
                os.write(self.master, epoch_sentences(now, lat, lon, speed, heading))
                self.written.append((now, lat, lon))
            except BlockingIOError:
                pass  # nobody reading yet and the buffer is full: a receiver's bytes are lost the same way
            except OSError:
                return
            self._stop.wait(1.0 / self.rate_hz)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.link.unlink(missing_ok=True)


def bbox(points: list[tuple[float, float]], margin: float = 0.0) -> tuple[float, float, float, float]:
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return min(lats) - margin, max(lats) + margin, min(lons) - margin, max(lons) + margin


def iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def age_s(t: str) -> float:
    return (datetime.now(timezone.utc) - iso(t)) / timedelta(seconds=1)


# -- RTSP: scripts/rtsp_server.py playing a sample clip -------------------------------------------------


# The server itself is the package's bench camera: `anpr.bench.rtsp.RtspCamera` / `rtsp_unusable`.


# -- MQTT ----------------------------------------------------------------------------------------------


def retained_message(port: int, topic: str, timeout: float = 5.0) -> tuple[bytes, bool] | None:
    """(payload, retain flag) of the first message a fresh subscriber to `topic` gets, or None."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got: list[tuple[bytes, bool]] = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, _u, _f, rc, _p: None if rc.is_failure else c.subscribe(topic, qos=1)

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        got.append((bytes(msg.payload), bool(msg.retain)))
        done.set()

    client.on_message = on_message
    client.connect("127.0.0.1", port, 30)
    client.loop_start()
    try:
        done.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return got[0] if got else None


def publish_retained(port: int, topic: str, payload: bytes) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port, 30)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
