"""`anpr synth real-clip`: a labelled photo set played as traffic, with a truth sidecar `anpr replay` scores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.synth.labels import LabelRow, write_labels
from anpr.synth.realclip import FPS, HEIGHT, WIDTH, parse_gap

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg (Debian package) not installed")


def _photo(path: Path, box: tuple[int, int, int, int], text: str) -> None:
    img = np.full((300, 600, 3), 70, np.uint8)
    x1, y1, x2, y2 = box
    cv2.rectangle(img, (x1, y1), (x2, y2), (235, 235, 235), -1)
    cv2.putText(img, text, (x1 + 6, y2 - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (20, 20, 20), 2)
    cv2.imwrite(str(path), img)


@pytest.fixture
def gate_set(tmp_path: Path) -> Path:
    """Two vehicles of a gate camera: BBCL12 in two photos (it comes closer), HZTV41 in one; plus rows the
    clip must skip (an invalid text, a row without a box, an uncertain one)."""
    folder = tmp_path / "gate"
    (folder / "images").mkdir(parents=True)
    rows = []
    for name, text, box in (
        ("a1.jpg", "BBCL12", (200, 100, 300, 130)),
        ("a2.jpg", "BBCL12", (180, 150, 330, 190)),
        ("b1.jpg", "HZTV41", (250, 120, 360, 155)),
    ):
        _photo(folder / "images" / name, box, text)
        rows.append(LabelRow(f"images/{name}", text, box, 600, 300, "ok", "drawn", ""))
    rows += [
        LabelRow("images/b1.jpg", "AB123CD", (1, 1, 50, 20), 600, 300, "ok", "drawn", "not Chilean"),
        LabelRow("images/b1.jpg", "KC4521", None, 600, 300, "ok", "drawn", "no box"),
        LabelRow("images/b1.jpg", "PRKK21", (1, 1, 50, 20), 600, 300, "uncertain", "drawn", ""),
    ]
    write_labels(folder / "labels.csv", rows)
    return folder


def _synth(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anpr", "synth", "real-clip", *args], capture_output=True, text=True, timeout=120
    )


def test_real_clip_and_its_truth(gate_set: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    res = _synth("--photos", str(gate_set), "--gap", "0.2-0.5", "--out", str(out))
    assert res.returncode == 0, res.stderr
    truth = json.loads(out.with_suffix(".truth.json").read_text())
    assert [p["text"] for p in truth["plates"]] == ["BBCL12", "HZTV41"]
    assert (truth["width"], truth["height"], truth["fps"]) == (WIDTH, HEIGHT, FPS)
    a, b = truth["plates"]
    assert a["frames_visible"] == b["frames_visible"] == FPS  # a 1 s approach each
    empty = b["first_frame"] - a["last_frame"] - 1
    assert 0.2 * FPS <= empty <= 0.5 * FPS + 1
    assert 0.2 * FPS <= truth["frame_count"] - b["last_frame"] - 1 <= 0.5 * FPS + 1  # empty road after the last
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == truth["frame_count"]
    # The truth box frames the drawn plate: bright inside, the dark photo around it.
    for plate in (a, b):
        mid = plate["boxes"][len(plate["boxes"]) // 2]
        x1, y1, x2, y2 = mid["box"]
        assert 0 <= x1 < x2 <= WIDTH and 0 <= y1 < y2 <= HEIGHT
        grey = cv2.cvtColor(frames[mid["frame"]], cv2.COLOR_BGR2GRAY)
        assert grey[y1 + 3 : y2 - 3, x1 + 3 : x1 + 8].mean() > 180 and grey[y2 + 6 : y2 + 12, x1:x2].mean() < 110
    # Empty road between the vehicles: no plate.
    assert cv2.cvtColor(frames[a["last_frame"] + 1], cv2.COLOR_BGR2GRAY).max() < 80


def test_real_clip_errors_name_the_problem(gate_set: Path, tmp_path: Path) -> None:
    res = _synth("--photos", str(tmp_path / "nope"), "--out", str(tmp_path / "x.mp4"))
    assert res.returncode == 2 and "labels.csv" in res.stderr and "Traceback" not in res.stderr
    res = _synth("--photos", str(gate_set), "--gap", "soon", "--out", str(tmp_path / "x.mp4"))
    assert res.returncode == 2 and "--gap 'soon'" in res.stderr
    (gate_set / "images" / "a2.jpg").write_bytes(b"not a jpeg")
    res = _synth("--photos", str(gate_set), "--out", str(tmp_path / "x.mp4"))
    assert res.returncode == 2 and "a2.jpg" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.mp4").exists()  # no half-written clip left behind


def test_parse_gap() -> None:
    assert parse_gap("1.6") == (1.6, 1.6)
    assert parse_gap("0.2-0.5") == (0.2, 0.5)
    for bad in ("0.5-0.2", "-1", "20", "a-b"):
        with pytest.raises(ValueError, match="--gap"):
            parse_gap(bad)
