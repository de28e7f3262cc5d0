"""Shared fixtures for the detector tests: the shipped model and the committed test images."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "plate-detector.onnx"
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def model_path() -> Path:
    assert MODEL.is_file(), f"{MODEL} is missing: the shipped model is part of the repo"
    return MODEL


@pytest.fixture(scope="session")
def plate_scene() -> tuple[Path, tuple[float, float, float, float]]:
    meta = json.loads((DATA / "detector_plate.json").read_text())
    return DATA / "detector_plate.jpg", tuple(meta["box"])


@pytest.fixture
def model_copy(tmp_path: Path, model_path: Path) -> Path:
    """The shipped model and its sidecar copied where a test may damage them."""
    dst = tmp_path / model_path.name
    shutil.copy2(model_path, dst)
    shutil.copy2(model_path.with_name(model_path.name + ".sha256"), tmp_path)
    return dst
