"""Helpers for the control-room tests: a real PostgreSQL server, the `anpr control serve` process, HTTP."""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parents[2]

from helpers.uplink import free_port, wait_until  # noqa: E402


def pg_bin() -> Path | None:
    """Debian's PostgreSQL server binaries (apt-get install postgresql), newest version first."""
    base = Path("/usr/lib/postgresql")
    for ver in sorted(base.glob("*"), key=lambda p: int(p.name) if p.name.isdigit() else 0, reverse=True):
        if (ver / "bin" / "initdb").exists():
            return ver / "bin"
    return None


class Postgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1, run as the `postgres` user (it refuses to run as root)."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="anpr-pg-"))
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        assert self.bin is not None
        argv = [str(self.bin / cmd[0]), *cmd[1:]]
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def start(self) -> str | None:
        """Start; None when it runs, else why not (the caller skips with that reason)."""
        if self.bin is None:
            return "PostgreSQL server not installed (apt-get install postgresql)"
        if self.user is not None:
            if shutil.which("runuser") is None:
                return "running as root without runuser: cannot start PostgreSQL as user postgres"
            shutil.chown(self.dir, self.user)
        r = self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        if r.returncode != 0:
            return f"initdb failed: {r.stderr.strip()[-500:]}"
        return self.resume()

    def resume(self) -> str | None:
        """Start the initialised cluster again (same port, same data); None when it runs."""
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        r = self._run("pg_ctl", "-D", str(self.dir / "data"), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")
        if r.returncode != 0:
            return f"pg_ctl start failed: {r.stderr.strip()[-500:]}"
        return None

    def pause(self) -> None:
        """Stop the server, keeping its data: an outage for the clients."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.bin is not None and (self.dir / "data").exists():
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def write_config(path: Path, broker_port: int, web_port: int, db: str, extra: str = "") -> Path:
    path.write_text(
        f'database_url = "{db}"\nlog_level = "INFO"\n[broker]\nhost = "127.0.0.1"\nport = {broker_port}\n'
        f'client_id = "control-{web_port}"\n{extra}\n[web]\nport = {web_port}\noffline_after_s = 30\n'
    )
    return path


ADMIN = ("admin", "admin-password-1", "admin")


def user_cli(config: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    """`anpr control user ...` with the password on stdin (as a script would give it)."""
    return subprocess.run(
        [sys.executable, "-m", "anpr", "control", "user", *args, "-c", str(config)],
        input=None if password is None else password + "\n", capture_output=True, text=True, cwd=str(ROOT),
        timeout=60,
    )  # fmt: skip


class ServeProcess:
    """`anpr control serve -c CONFIG` as a real process; `url` is its page.

    `users` are added first with `anpr control user add`; the first one logs in, and `get_json` and
    `get_status` then carry its session cookie."""

    def __init__(
        self, config: Path, web_port: int, log: Path, users: tuple[tuple[str, str, str], ...] = (ADMIN,)
    ) -> None:
        self.url = f"http://127.0.0.1:{web_port}"
        self.log = log
        for name, password, role in users:
            r = user_cli(config, "add", name, "--role", role, password=password)
            assert r.returncode == 0 or "exists" in r.stderr, r.stderr
        with log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "anpr", "control", "serve", "-c", str(config)],
                stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT),
            )  # fmt: skip
        ok = wait_until(self._ready, 20, 0.1)
        if not ok:
            self.stop()
            raise RuntimeError(f"anpr control serve did not come up: {log.read_text()[-3000:]}")
        self.csrf = login(self.url, users[0][0], users[0][1]) if users else ""

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"anpr control serve exited: {self.log.read_text()[-3000:]}")
        try:
            health = get_json(self.url + "/healthz")
        except OSError:  # refused, or 503 until the broker is connected
            return False
        return bool(health["receiver"]["connected"])

    def stats(self) -> dict[str, Any]:
        return get_json(self.url + "/api/stats")  # type: ignore[no-any-return]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


JAR = http.cookiejar.CookieJar()
_OPENER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(JAR))


def login(url: str, user: str, password: str) -> str:
    """Log the test client in (its cookie goes to JAR); returns the session's CSRF token."""
    status, body = request(url + "/login", {"user": user, "password": password})
    assert status == 200, body
    return str(json.loads(body)["csrf"])


def request(
    url: str, body: Any = None, headers: dict[str, str] | None = None, method: str | None = None
) -> tuple[int, bytes]:
    """GET, or POST `body` (bytes as they are, anything else as JSON), with the session cookie."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    hdrs = dict(headers or {})
    if body is not None and not isinstance(body, bytes):
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with _OPENER.open(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def get_json(url: str) -> Any:
    with _OPENER.open(url, timeout=10) as r:
        return json.loads(r.read())


def get_status(url: str) -> tuple[int, bytes]:
    return request(url)


def drill(port: int, state: Path, device: str, count: int, *extra: str) -> subprocess.Popen[str]:
    """A generated car (anpr.bench.drill): durable outbox + MQTT publisher, prints `ID <event_id> <kind>`."""
    return subprocess.Popen(
        [sys.executable, "-m", "anpr.bench.drill", "--port", str(port), "--state", str(state), "--device", device,
         "--count", str(count), "--hits-every", "5", "--drain-timeout", "30", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(ROOT),
    )  # fmt: skip


def promised_ids(stdout: str) -> set[str]:
    return {line.split()[1] for line in stdout.splitlines() if line.startswith("ID ")}


__all__ = ["Postgres", "ServeProcess", "drill", "free_port", "get_json", "promised_ids", "wait_until", "write_config"]


class Car:
    """A car's MQTT client: publishes QoS 1 and waits for the PUBACK."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"car-{port}", protocol=mqtt.MQTTv5)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
