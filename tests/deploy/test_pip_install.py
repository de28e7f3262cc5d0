"""A plain (not editable) `pip install` of the project reads plates from any folder.

The wheel must carry the models (anpr/models/ is package data); the config's relative model paths are
found in the installed package when they do not exist from the working folder; state goes to
$XDG_STATE_HOME/anpr, never ./state. The fresh venv gets the dependencies from the test venv through a
.pth line (no download, no copy), and the project from a copy of its sources, so the build leaves
nothing in the checkout. About 15 s: a build, an install and one replay of the 8 s gantry clip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos" / "gantry_day.mp4"

pytestmark = pytest.mark.slow


def _fresh_venv(where: Path) -> Path:
    """A venv without pip whose site-packages also sees the test venv's (the dependencies, not anpr:
    a folder named by a .pth is not scanned for .pth files, so the editable install stays invisible)."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(where), "platbase": str(where)}))
    (site / "_deps_from_test_venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return where / "bin" / "python"


def _source_copy(where: Path) -> Path:
    """What `pip install .` reads (symlinks kept: anpr/models -> ../models, as in the checkout)."""
    where.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, where / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "anpr", where / "anpr", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "models", where / "models", symlinks=True, ignore=ignore)
    return where


def test_pip_installed_anpr_replays_a_clip_from_another_folder(tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path / "venv")
    src = _source_copy(tmp_path / "src")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    done = subprocess.run([*pip, "install", "-q", "--no-deps", str(src)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg")
    where = subprocess.run(
        [str(python), "-c", "import anpr; print(anpr.__file__)"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where.stdout + where.stderr

    anpr = tmp_path / "venv" / "bin" / "anpr"
    truth = CLIP.with_suffix(".truth.json")
    run = subprocess.run(
        [str(anpr), "replay", str(CLIP), "--truth", str(truth), "--json", "--no-progress"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    events, summary = lines[:-1], lines[-1]
    assert summary["kind"] == "summary"
    # The shipped models were used: their versions are the package's, and the clip reads as in the checkout.
    assert {e["model_versions"]["detector"].split(":")[0] for e in events} == {"plate-detector"}
    score = summary["score"]
    assert score["plates"] > 0 and score["read_exact"] == score["plates"], score
    assert not score["missed"] and not score["phantoms"], score
    # State went to the documented default, nothing into the working folder.
    assert list(elsewhere.iterdir()) == []
    assert (tmp_path / "xdg" / "anpr" / "hotlist.sqlite").is_file()

    check = subprocess.run(
        [str(anpr), "config", "check"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    # From another folder the built-in demo's clip and CSV are absent (named), but the models are found.
    assert check.returncode == 2
    assert "sample_videos/gantry_day.mp4" in check.stderr and "model" not in check.stderr, check.stderr
