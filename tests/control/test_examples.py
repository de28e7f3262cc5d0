"""The shipped control-room examples: both load; the local one starts as documented (issue 17 E)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.control import ROOT, free_port, get_json, wait_until
from helpers.uplink import Mosquitto

from anpr.control.config import load_control


@pytest.mark.parametrize("name", ["control.toml", "control-local.toml"])
def test_examples_load(name: str) -> None:
    load_control(ROOT / "examples" / name)


@pytest.mark.slow
def test_the_local_example_starts_without_production_paths(tmp_path: Path, broker: Mosquitto) -> None:
    """As docs/control-room.md says, from a fresh folder: add a user, serve, log in. Only the ports move."""
    web = free_port()
    text = (ROOT / "examples" / "control-local.toml").read_text()
    assert "/etc/" not in text.split("\n[", 1)[1] and "/var/" not in text
    cfg = tmp_path / "control-local.toml"
    cfg.write_text(text.replace("port = 1883", f"port = {broker.port}").replace("port = 8080", f"port = {web}"))
    anpr = [sys.executable, "-m", "anpr", "control"]
    add = subprocess.run([*anpr, "user", "add", "ana", "--role", "admin", "-c", str(cfg)], input="ana-password-123\n",
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)  # fmt: skip
    assert add.returncode == 0, add.stderr
    proc = subprocess.Popen([*anpr, "serve", "-c", str(cfg)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:

        def up() -> bool:
            try:
                return bool(get_json(f"http://127.0.0.1:{web}/healthz")["ok"])
            except OSError:
                return False

        assert wait_until(up, 30)
        assert (tmp_path / "control-local.sqlite").exists()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
