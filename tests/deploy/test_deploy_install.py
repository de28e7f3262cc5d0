"""scripts/install.sh into a prefix: files, config never overwritten, idempotent, uninstall keeps the data."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers.deploy import ROOT

SCRIPT = ROOT / "scripts" / "install.sh"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": "python3"}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize(
    ("role", "unit", "example"),
    [("gantry", "anpr.service", "gantry.toml"), ("car", "anpr-car.service", "patrol-car.toml")],
)
def test_install_twice_then_uninstall_and_purge(tmp_path: Path, role: str, unit: str, example: str) -> None:
    root = tmp_path / "root"
    first = _run("--role", role, "--prefix", str(root), "--skip-venv")
    assert first.returncode == 0, first.stdout + first.stderr
    conf = root / "etc/anpr/anpr.toml"
    assert conf.read_text() == (ROOT / "examples" / example).read_text()
    assert (root / "etc/systemd/system" / unit).read_text() == (ROOT / "systemd" / unit).read_text()
    link = root / "etc/systemd/system/multi-user.target.wants" / unit
    assert link.is_symlink() and os.readlink(link) == f"/etc/systemd/system/{unit}"
    for model in ("plate-detector.onnx", "plate-detector.onnx.sha256", "plate-detector-640x384.onnx",
                  "plate-detector-640x384.onnx.sha256", "plate-reader-int8.onnx",
                  "plate-reader-int8.onnx.sha256", "plate-reader.onnx", "plate-reader.dict.txt",
                  "plate-reader-int8.calibration.json"):  # fmt: skip
        assert (root / "opt/anpr/models" / model).read_bytes() == (ROOT / "models" / model).read_bytes()
    assert "would create system user anpr" in first.stdout
    assert (root / "opt/anpr/docs/deploy.md").is_file()

    # A technician's edits and the daemon's data survive a re-run (upgrade) ...
    conf.write_text(conf.read_text() + "\n# edited on site\n")
    (root / "var/lib/anpr/outbox.sqlite").write_bytes(b"data")
    again = _run("--role", role, "--prefix", str(root), "--skip-venv")
    assert again.returncode == 0, again.stderr
    assert "kept" in again.stdout and conf.read_text().endswith("# edited on site\n")

    # ... and an uninstall without --purge.
    gone = _run("--uninstall", "--prefix", str(root))
    assert gone.returncode == 0, gone.stderr
    assert not (root / "etc/systemd/system" / unit).exists() and not link.exists() and not link.is_symlink()
    assert not (root / "opt/anpr").exists()
    assert (root / "var/lib/anpr/outbox.sqlite").read_bytes() == b"data" and conf.is_file()

    purged = _run("--uninstall", "--purge", "--prefix", str(root))
    assert purged.returncode == 0, purged.stderr
    assert not (root / "var/lib/anpr").exists() and not (root / "etc/anpr").exists()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    no_role = _run("--prefix", str(tmp_path))
    assert no_role.returncode == 2 and "--role" in no_role.stderr
    unknown = _run("--role", "gantry", "--frobnicate")
    assert unknown.returncode == 2 and "unknown option" in unknown.stderr
    assert not any(tmp_path.iterdir())
