"""`anpr replay` prints the events the car would send: the `[uplink]` crop settings apply to them."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from anpr.app.config import from_dict
from anpr.app.replay import replay

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    """Four frames of one parked car (plate GKSB78): one passage, read on every frame."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(4):
        shutil.copy(ROOT / "tests" / "data" / "detector_plate.jpg", folder / f"{i:03d}.jpg")
    return folder


def _events(frames: Path, state: Path, uplink: dict[str, Any]) -> list[dict[str, Any]]:
    cfg = from_dict({"state_dir": str(state), "cameras": [{"id": "gate", "fps": 10}], "uplink": uplink})
    out = io.StringIO()
    assert replay(cfg, frames, out=out, summary_json=True) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[-1]["kind"] == "summary"  # with summary_json the last line is the replay's summary
    return lines[:-1]


def test_replay_read_events_carry_a_crop_only_when_uplink_says_so(frames: Path, tmp_path: Path) -> None:
    with_crop = _events(frames, tmp_path / "a", {"crop_for_reads": True, "crop_max_bytes": 20_000})
    assert [(e["plate"], e["kind"]) for e in with_crop] == [("GKSB78", "read")]
    jpeg = base64.b64decode(with_crop[0]["crop_jpeg"])
    assert len(jpeg) <= 20_000
    crop = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert crop is not None and crop.shape[1] > crop.shape[0] > 0  # a plate: wider than tall

    without = _events(frames, tmp_path / "b", {"crop_for_reads": False})
    assert [(e["plate"], e["kind"]) for e in without] == [("GKSB78", "read")]
    assert "crop_jpeg" not in without[0]
