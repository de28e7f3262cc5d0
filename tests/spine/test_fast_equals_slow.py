"""The speed-ups (skipping detection and reads while passages are settled) lose no event."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from anpr.app.config import from_dict
from anpr.app.replay import replay

ROOT = Path(__file__).resolve().parents[2]


def _final_events(
    tracker: dict[str, int], tmp_path: Path, clip: str = "gantry_day.mp4"
) -> list[tuple[str, str, str | None]]:
    cfg = from_dict({"state_dir": str(tmp_path / "state"), "tracker": tracker})
    out = io.StringIO()
    assert replay(cfg, ROOT / "sample_videos" / clip, out=out) == 0
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    return sorted((e["plate"], e["kind"], e["match"]["kind"] if e["match"] else None) for e in events if e["final"])


@pytest.mark.slow
def test_fast_replay_gives_the_events_of_a_slow_one(tmp_path: Path) -> None:
    slow = _final_events({"read_every_confident": 1, "detect_every_settled": 1}, tmp_path / "slow")
    fast = _final_events({}, tmp_path / "fast")  # the defaults skip work on settled passages
    assert fast == slow
    assert ("HZTV41", "hit", "exact") in fast


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["parked_row", "gantry_queue", "two_lanes", "bus_occlusion", "red_light", "cut_in"])
def test_fast_path_sees_every_change_of_car(clip: str, tmp_path: Path) -> None:
    """Issue 16: skipping detection and reads on settled passages hides no change of car (queues, parked
    rows, a cut-in): the same final events, one per passage, as detecting and reading every frame."""
    name = f"traffic/{clip}.mp4"
    slow = _final_events({"read_every_confident": 1, "detect_every_settled": 1}, tmp_path / "slow", name)
    fast = _final_events({}, tmp_path / "fast", name)
    assert fast == slow
