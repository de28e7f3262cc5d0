"""constraints.txt pins the libraries reads depend on; the suite's figures hold only on those versions."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from packaging.requirements import Requirement

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints.txt"


def constrained() -> list[Requirement]:
    lines = CONSTRAINTS.read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_the_suite_runs_on_the_constrained_versions() -> None:
    # scripts/test.sh installs with -c constraints.txt; a venv built without it (OpenCV 4.14 for 5.1 read 2 of
    # 83 chile_web plates differently) would test other numerics than the ones measured and shipped.
    reqs = constrained()
    assert {r.name for r in reqs} >= {"numpy", "onnxruntime", "opencv-python-headless"}
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate():
            continue
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", f"{req}: pin one version"
        installed = importlib.metadata.version(req.name)
        assert req.specifier.contains(installed, prereleases=True), f"{req.name} {installed} installed, {req} wanted"


def test_the_install_scripts_use_the_constraints() -> None:
    root = CONSTRAINTS.parent
    assert "-c constraints.txt" in (root / "scripts" / "venv.sh").read_text(encoding="utf-8")
    assert '-c "$SRC/constraints.txt"' in (root / "scripts" / "install.sh").read_text(encoding="utf-8")
