"""A plate cut by the edge of the detector's view, misread on the last frame its car is seen, is no new car.

Real frames: sample_videos/gantry_day.mp4 with a lane roi (`detector.roi`, its top 22 % left out, as a
gantry's config does), the shipped detector and reader, the real tracker. PRKK21 (listed) leaves at the
roi's bottom edge; on the next frame its cut plate, found where it was predicted, reads DRKK21 at a
calibrated 0.59 (P/D is no confusion a reader is known for, so the confident PRKK21 refused it). Before
the fix that glimpse began a passage of its own and went out as a second, fuzzy hit on PRKK21 120 ms
after the car had gone: a phantom sighting of a plate that was never there. The first fix dropped it as a
misread of its parent (`OpenTrack.misread_of_parent`, still tested in tests/track/test_tracker.py); since the
roi's bottom edge is the frame's, the cut plate now stays with PRKK21 in the first place (a detection touching
the frame's border where its passage is predicted joins it whatever it reads): no passage to drop.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from anpr.app.config import from_dict
from anpr.app.replay import replay

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos" / "gantry_day.mp4"


def test_a_cut_plate_misread_as_its_car_leaves_the_roi_sends_no_event(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = from_dict(
        {
            "state_dir": str(tmp_path / "state"),
            "detector": {"roi": {"cam0": [0.0, 0.22, 1.0, 1.0]}},
            "hotlist": {"csv": str(ROOT / "sample_videos" / "hotlist.csv")},
        }
    )
    out = io.StringIO()
    with caplog.at_level(logging.INFO, logger="anpr.track.tracker"):
        assert replay(cfg, CLIP, out=out, summary_json=True) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    events = lines[:-1]
    finals = sorted(e["plate"] for e in events if e["final"])
    assert finals == ["DRWL87", "HZTV41", "KC4521", "PRKK21"], finals  # the clip's four cars, no DRKK21
    assert {e["plate"] for e in events if e["kind"] == "hit"} == {"HZTV41", "PRKK21"}
    dropped = [r.getMessage() for r in caplog.records if "dropped: a misread of" in r.getMessage()]
    assert dropped == [], dropped  # joined as the cut plate it is: no misread passage began
