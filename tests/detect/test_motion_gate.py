"""`[detector.motion]`: a fixed camera's still, empty scene skips the detector; motion, a plate in view or
`idle_every` frames bring it back, and the events are those without the gate.

Real frames of sample_videos/traffic/gantry_queue.mp4 (frame 20: the queue's lane empty, no plate found;
frames 40-64: a car with its plate), the shipped models, the real replay."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from helpers.clips import sample_frame

from anpr.app.config import from_dict
from anpr.app.replay import replay
from anpr.detect.config import MotionConfig
from anpr.detect.motion import MotionGate

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos" / "traffic" / "gantry_queue.mp4"


def _frames(*indices: int) -> list[np.ndarray]:
    return [sample_frame("traffic/gantry_queue.mp4", i) for i in indices]


def test_a_still_scene_is_detected_every_idle_every_frames_only() -> None:
    (empty,) = _frames(20)
    gate = MotionGate(MotionConfig(enabled=True, idle_every=5))
    wanted = []
    for _ in range(12):
        wanted.append(gate.wants("gate", empty.copy()))
        if wanted[-1]:
            gate.detected("gate", 0)  # the detector found no plate there
    # the first frame (no reference), then one in five however still the scene is
    assert wanted == [True, False, False, False, False, True, False, False, False, False, True, False]
    assert gate.skipped_total == 9


def test_motion_or_a_plate_in_view_is_always_detected() -> None:
    moving = _frames(*range(40, 46))
    gate = MotionGate(MotionConfig(enabled=True))
    assert all(gate.wants("gate", f) for f in moving)  # a car moving in the lane: every frame

    (empty,) = _frames(20)
    gate = MotionGate(MotionConfig(enabled=True))
    assert gate.wants("gate", empty)
    gate.detected("gate", 1)  # a plate found: the next frames are detected, still or not
    assert all(gate.wants("gate", empty.copy()) for _ in range(5))
    gate.detected("gate", 0)  # gone: the scene may rest again
    assert not gate.wants("gate", empty.copy())
    # cameras are apart: another camera's first frame is detected
    assert gate.wants("other", empty.copy())


def test_small_noise_does_not_count_as_motion_but_a_small_change_does() -> None:
    (empty,) = _frames(20)
    gate = MotionGate(MotionConfig(enabled=True))
    assert gate.wants("gate", empty)
    gate.detected("gate", 0)
    noisy = np.clip(empty.astype(np.int16) + np.random.default_rng(0).normal(0, 4, empty.shape), 0, 255)
    assert not gate.wants("gate", noisy.astype(np.uint8))  # sensor-like noise, σ 4 grey levels
    changed = empty.copy()
    h, w = changed.shape[:2]
    changed[h // 2 : h // 2 + 60, w // 2 : w // 2 + 90] = 255 - changed[h // 2 : h // 2 + 60, w // 2 : w // 2 + 90]
    assert gate.wants("gate", changed)  # a 90×60 px change in a 1280×720 frame (a far car's size)


def test_only_motion_inside_the_cameras_roi_counts() -> None:
    (empty,) = _frames(20)
    h, w = empty.shape[:2]
    elsewhere = empty.copy()
    elsewhere[: h // 4, : w // 4] = 255 - elsewhere[: h // 4, : w // 4]  # the top-left corner changes
    for roi, wanted in (((0.0, 0.5, 1.0, 1.0), False), ((0.0, 0.0, 0.5, 0.5), True)):
        gate = MotionGate(MotionConfig(enabled=True), {"gate": roi})
        assert gate.wants("gate", empty)
        gate.detected("gate", 0)
        assert gate.wants("gate", elsewhere) is wanted, roi  # outside the lower half: not motion


def _replay(frames: Path, tmp_path: Path, motion: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    cfg = from_dict(
        {
            "state_dir": str(tmp_path / f"state-{motion}"),
            "cameras": [{"id": "gate", "fps": 25}],
            "detector": {"motion": {"enabled": motion}},
        }
    )
    out = io.StringIO()
    assert replay(cfg, frames, out=out, summary_json=True) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return lines[:-1], lines[-1]


@pytest.fixture(scope="module")
def quiet_then_a_car(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """36 frames of the empty lane (a still scene), then 25 frames of a car arriving."""
    folder = tmp_path_factory.mktemp("quiet_then_a_car")
    (empty,) = _frames(20)
    for i in range(36):
        cv2.imwrite(str(folder / f"{i:03d}.png"), empty)
    for i, frame in enumerate(_frames(*range(40, 65))):
        cv2.imwrite(str(folder / f"{36 + i:03d}.png"), frame)
    return folder


def test_the_gate_skips_the_still_frames_and_keeps_every_event(quiet_then_a_car: Path, tmp_path: Path) -> None:
    events_off, summary_off = _replay(quiet_then_a_car, tmp_path, motion=False)
    events_on, summary_on = _replay(quiet_then_a_car, tmp_path, motion=True)

    def key(e: dict[str, Any]) -> tuple[Any, ...]:
        return (e["plate"], e["kind"], e["final"], e["first_seen"], e["last_seen"])

    assert events_off and [key(e) for e in events_on] == [key(e) for e in events_off]
    assert "motion_skipped" not in summary_off
    # the still lane is detected on its first frame and every 12th after (idle_every): 3 of 36
    assert summary_on["motion_skipped"] == 33
    detected_off, detected_on = summary_off["stage_ms"]["detect"]["n"], summary_on["stage_ms"]["detect"]["n"]
    assert detected_on == detected_off - 33
