"""systemd/anpr-control.service (issue 17 E): verifies clean, exposure at most 2.0, sound restart policy,
and the control room runs under the unit's MemoryDenyWriteExecute=yes."""

from __future__ import annotations

import configparser
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.control import ADMIN, ROOT, Car, free_port, get_json, login, user_cli, wait_until, write_config
from helpers.uplink import Mosquitto, make_event

from anpr.uplink.wire import event_to_json

UNIT = ROOT / "systemd" / "anpr-control.service"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze missing: apt-get install systemd")


def _installed_copy(tmp: Path) -> Path:
    """verify checks that ExecStart's binary exists; /opt/anpr is not installed here, so point it at ours."""
    anpr = Path(sys.executable).with_name("anpr")
    path = tmp / UNIT.name
    path.write_text(UNIT.read_text().replace("/opt/anpr/venv/bin/anpr", str(anpr)))
    return path


@needs_systemd
def test_unit_verifies_and_is_hardened(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    unit = _installed_copy(tmp_path)
    proc = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and UNIT.name not in proc.stderr, proc.stderr
    proc = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=true", str(unit)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", proc.stdout)
    assert m, proc.stdout[-1000:] + proc.stderr
    print(f"{UNIT.name}: exposure {m.group(1)} {m.group(2)}")
    assert float(m.group(1)) <= 2.0 and m.group(2) == "OK"


def test_unit_policy() -> None:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read_string(UNIT.read_text())
    svc = cp["Service"]
    assert svc["Restart"] == "on-failure" and "2" in svc["RestartPreventExitStatus"].split()
    assert svc["ExecStart"].endswith("anpr control serve -c /etc/anpr/control.toml")
    assert svc["User"] != "root" and svc["ReadWritePaths"] == "/var/lib/anpr-control"
    restart_s = int(svc["RestartSec"].rstrip("s"))
    window_s = int(cp["Unit"]["StartLimitIntervalSec"].rstrip("min")) * 60
    assert (int(cp["Unit"]["StartLimitBurst"]) - 1) * restart_s > window_s  # restarts alone never hit the limit


@pytest.mark.slow
def test_serves_under_memory_deny_write_execute(tmp_path: Path, broker: Mosquitto) -> None:
    web = free_port()
    cfg = write_config(tmp_path / "control.toml", broker.port, web, f"sqlite:///{tmp_path / 'control.sqlite'}")
    assert user_cli(cfg, "add", ADMIN[0], "--role", "admin", password=ADMIN[1]).returncode == 0
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("mdwe_serve.py")), str(cfg)], cwd=ROOT,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{web}"
    car = None
    try:

        def up() -> bool:
            try:
                return bool(get_json(url + "/healthz")["ok"])
            except OSError:
                return proc.poll() is None and False

        assert wait_until(up, 30), log.read_text()[-3000:]
        login(url, ADMIN[0], ADMIN[1])  # argon2 under the filter
        car = Car(broker.port)
        car.send("anpr/car-7/hit", event_to_json(make_event("hit", device="car-7")))
        assert wait_until(lambda: get_json(url + "/api/stats")["store"]["hits"] == 1, 5)
    finally:
        if car is not None:
            car.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, log.read_text()[-3000:]
