"""The speed-ups (skipping detection and reads while passages are settled) lose no event."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from anpr.app.config import from_dict
from anpr.app.replay import replay

ROOT = Path(__file__).resolve().parents[2]


def _final_events(tracker: dict[str, int], tmp_path: Path) -> set[tuple[str, str, str | None]]:
    cfg = from_dict({"state_dir": str(tmp_path / "state"), "tracker": tracker})
    out = io.StringIO()
    assert replay(cfg, ROOT / "sample_videos" / "gantry_day.mp4", out=out) == 0
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    return {(e["plate"], e["kind"], e["match"]["kind"] if e["match"] else None) for e in events if e["final"]}


@pytest.mark.slow
def test_fast_replay_gives_the_events_of_a_slow_one(tmp_path: Path) -> None:
    slow = _final_events({"read_every_confident": 1, "detect_every_settled": 1}, tmp_path / "slow")
    fast = _final_events({}, tmp_path / "fast")  # the defaults skip work on settled passages
    assert fast == slow
    assert ("HZTV41", "hit", "exact") in fast
