"""The systemd units: `systemd-analyze verify` clean, hardening score at most 2.0, restart policy sound."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.deploy import ANPR, ROOT

UNITS = ("anpr.service", "anpr-car.service")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or ""
needs_systemd = pytest.mark.skipif(not SYSTEMD_ANALYZE, reason="systemd-analyze missing: apt-get install systemd")


def _unit(name: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read_string((ROOT / "systemd" / name).read_text())
    return cp


def _copy_with_existing_exec(name: str, tmp: Path) -> Path:
    """verify checks that ExecStart's binary exists; here /opt/anpr is not installed, so point it at ours."""
    text = (ROOT / "systemd" / name).read_text().replace("/opt/anpr/venv/bin/anpr", str(ANPR))
    path = tmp / name
    path.write_text(text)
    return path


def _seconds(value: str) -> float:
    total = 0.0
    for n, unit in re.findall(r"(\d+)\s*(min|s)?", value):
        total += float(n) * (60 if unit == "min" else 1)
    return total


@needs_systemd
@pytest.mark.parametrize("name", UNITS)
def test_unit_verifies(name: str, tmp_path: Path) -> None:
    unit = _copy_with_existing_exec(name, tmp_path)
    proc = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert name not in proc.stderr, proc.stderr  # no warning about our own unit (unknown keys, bad values)


@needs_systemd
@pytest.mark.parametrize("name", UNITS)
def test_unit_hardening_score(name: str, tmp_path: Path) -> None:
    unit = _copy_with_existing_exec(name, tmp_path)
    proc = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", str(unit)], capture_output=True, text=True, timeout=60
    )
    m = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", proc.stdout)
    assert m, proc.stdout[-1000:] + proc.stderr
    score, verdict = float(m.group(1)), m.group(2)
    print(f"{name}: exposure {score} {verdict}")  # measured figures are in docs/deploy.md
    assert score <= 2.0 and verdict == "OK"


@needs_systemd
def test_jetson_dropin_verifies(tmp_path: Path) -> None:
    unit = _copy_with_existing_exec("anpr.service", tmp_path)
    (tmp_path / "anpr.service.d").mkdir()
    shutil.copy(ROOT / "systemd" / "jetson.conf", tmp_path / "anpr.service.d" / "jetson.conf")
    proc = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "jetson.conf" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("name", UNITS)
def test_unit_policy(name: str) -> None:
    cp = _unit(name)
    svc, unit = cp["Service"], cp["Unit"]
    assert svc["Type"] == "notify" and svc["NotifyAccess"] == "main"
    assert svc["Restart"] == "on-failure" and "2" in svc["RestartPreventExitStatus"].split()
    assert _seconds(svc["WatchdogSec"]) >= 30
    # Automatic restarts alone can never exhaust the start limit, so the unit never gives up for good.
    burst, interval = int(unit["StartLimitBurst"]), _seconds(unit["StartLimitIntervalSec"])
    assert (burst - 1) * _seconds(svc["RestartSec"]) > interval
    assert svc["User"] == "anpr" and {"video", "dialout"} <= set(svc["SupplementaryGroups"].split())
    assert svc["StateDirectory"] == "anpr" and svc["ConfigurationDirectory"] == "anpr"
    assert svc["DevicePolicy"] == "closed" and svc["CapabilityBoundingSet"] == ""
    assert svc["ExecStart"].split()[1:] == ["run", "-c", "/etc/anpr/anpr.toml"]


def test_watchdog_outlasts_the_daemons_stall_limit() -> None:
    """The daemon stops pinging after 2 x read_timeout_s (at most 600 s by config bounds; 10 s by default)."""
    from anpr.capture.config import CameraConfig

    assert _seconds(_unit("anpr.service")["Service"]["WatchdogSec"]) > 2 * CameraConfig().read_timeout_s


@pytest.mark.slow
def test_onnxruntime_and_opencv_run_under_memory_deny_write_execute() -> None:
    """MemoryDenyWriteExecute=yes is in the units: the inference path must work under its seccomp rules."""
    probe = Path(__file__).with_name("mdwe_probe.py")
    video = ROOT / "sample_videos" / "gantry_day.mp4"
    proc = subprocess.run(
        [sys.executable, str(probe), str(video), "12"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0 and "mdwe ok" in proc.stdout, proc.stdout + proc.stderr[-2000:]
