"""A passage whose consensus names no plate sends no event; a weak read is still sent, marked by its confidence.

Real frames of sample_videos/traffic/parked_row.mp4, the shipped detector and reader, the real tracker:
- frame 48: the car GHJK34 half out of the frame at the right edge. The reader says GHJK33 at a raw 0.105
  with the alternative GHJK31 at 0.371; the vote then takes GHJK31, whose last character no read chose, at
  confidence 0. Before the fix this went out as a plate event (and would have raised a hit on GHJK31).
  This case runs on raw scores (`reader.calibration = null`): the vote weighs reads by their confidence,
  and a refit of the calibration table (3 Dec 2026) maps that 0.105 higher, after which GHJK33 wins the
  vote at 0.2 and the passage goes out as GHJK33 (a hit on this test list), not this case any more.
- frame 30: the same car further away, read CHJK34 at 0.21 (GHJK34 with G taken for C): a weak read, published
  with its confidence when the passage was read more than once; read on one frame only, it is more likely
  wrong than right (a calibrated 0.21) and sends no event (`uplink.lone_read_floor`), unless it is a hit.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import cv2
import pytest
from helpers.track import at, obs

from anpr.app.config import from_dict
from anpr.app.passage_events import log_unread
from anpr.app.replay import replay
from anpr.types import Passage

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos" / "traffic" / "parked_row.mp4"


def _frames(folder: Path, index: int, copies: int) -> Path:
    cap = cv2.VideoCapture(str(CLIP))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    assert ok, f"frame {index} of {CLIP} could not be decoded"
    folder.mkdir()
    for i in range(copies):
        cv2.imwrite(str(folder / f"{i:03d}.png"), frame)  # lossless: the reader sees the clip's frame
    return folder


def _replay(
    frames: Path, tmp_path: Path, *, raw: bool = False, listed: tuple[str, ...] = ()
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    tmp_path.mkdir(exist_ok=True)
    hotlist = tmp_path / "hotlist.csv"
    rows = "".join(f"{p},test,stolen,1\n" for p in ("GHJK31", "GHJK33", *listed))
    hotlist.write_text("plate,list_name,reason,priority\n" + rows)
    cfg = from_dict(
        {
            "state_dir": str(tmp_path / "state"),
            "cameras": [{"id": "kerb", "fps": 25}],
            "hotlist": {"csv": str(hotlist)},
            "reader": {"calibration": None} if raw else {},
            # The reads above are those of the whole-frame detector's boxes: every frame detected whole.
            "tracker": {"detect_every_unsettled": 1},
        }
    )
    out = io.StringIO()
    assert replay(cfg, frames, out=out, summary_json=True) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[-1]["kind"] == "summary"
    return lines[:-1], lines[-1]


def test_a_consensus_at_zero_confidence_sends_no_event_and_raises_no_hit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frames = _frames(tmp_path / "edge", 48, 3)
    with caplog.at_level(logging.INFO, logger="anpr.app.passage_events"):
        events, summary = _replay(frames, tmp_path, raw=True)
    assert events == []  # neither a read nor a hit on GHJK31, a text no read chose
    assert (summary["passages"], summary["unread_passages"], summary["events"]) == (1, 1, 0)
    dropped = [r.getMessage() for r in caplog.records if "no plate read" in r.getMessage()]
    assert len(dropped) == 1, caplog.text
    assert "'GHJK31' has confidence 0.000" in dropped[0] and "3 read(s)" in dropped[0], dropped


def test_a_weak_read_of_a_real_plate_is_still_published_with_its_confidence(tmp_path: Path) -> None:
    events, summary = _replay(_frames(tmp_path / "far", 30, 3), tmp_path)
    assert [(e["plate"], e["kind"]) for e in events] == [("CHJK34", "read")]
    assert 0.0 < events[0]["confidence"] < 0.5  # low, and said so: the control room sees how sure it is
    assert (summary["passages"], summary["unread_passages"]) == (1, 0)


def test_a_lone_unsure_read_sends_no_event_but_a_hit_still_alerts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frames = _frames(tmp_path / "once", 30, 1)
    with caplog.at_level(logging.INFO, logger="anpr.app.passage_events"):
        events, summary = _replay(frames, tmp_path / "a")
    assert events == []
    assert (summary["passages"], summary["unread_passages"], summary["events"]) == (1, 1, 0)
    assert any("its only read 'CHJK34'" in r.getMessage() for r in caplog.records), caplog.text
    # The same single read of a listed plate: an alert is never dropped for being unsure.
    events, summary = _replay(frames, tmp_path / "b", listed=("CHJK34",))
    assert [(e["plate"], e["kind"]) for e in events] == [("CHJK34", "hit")]
    assert events[0]["confidence"] < 0.5


def test_a_passage_never_read_says_how_wide_its_plate_got(caplog: pytest.LogCaptureFixture) -> None:
    """A camera whose plates stay under tracker.min_read_width_px reads nothing; the DEBUG line says why."""
    seen = tuple(obs(i, i / 10, (100.0, 50.0, 100.0 + w, 60.0), None) for i, w in enumerate((18.0, 24.0, 27.0)))
    passage = Passage("cam0-000001", "cam0", at(0), at(0.2), seen, None)
    with caplog.at_level(logging.DEBUG, logger="anpr.app.passage_events"):
        log_unread(passage)
    assert "no plate read (3 detection(s), at most 27 px wide)" in caplog.text
