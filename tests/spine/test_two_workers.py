"""Two inference workers (detect ahead, anpr/app/overlap.py) give exactly the events of the sequential path."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from anpr.app import overlap
from anpr.app.build import build_pipeline
from anpr.app.config import from_dict
from anpr.app.overlap import SkipGuess
from anpr.app.replay import _video_camera
from anpr.types import PlateEvent

ROOT = Path(__file__).resolve().parents[2]
CLIPS = sorted((ROOT / "sample_videos").glob("*.mp4"))
_SEQUENTIAL: dict[Path, tuple[list[PlateEvent], int]] = {}  # each clip's sequential run, replayed once


def _sequential(clip: Path, tmp_path: Path) -> tuple[list[PlateEvent], int]:
    if clip not in _SEQUENTIAL:
        _SEQUENTIAL[clip] = _events(clip, 1, tmp_path)
    return _SEQUENTIAL[clip]


def _events(clip: Path, workers: int, tmp_path: Path) -> tuple[list[PlateEvent], int]:
    cfg = _video_camera(from_dict({"state_dir": str(tmp_path / "state"), "inference_workers": workers}), clip)
    events: list[PlateEvent] = []
    frames = [0]

    def count(_: object) -> None:
        frames[0] += 1

    pipeline = build_pipeline(cfg, on_event=events.append)
    pipeline.run(threading.Event(), on_frame=count)
    # event ids are fresh UUIDv7s; everything else (passage ids, times, reads, crops, matches) must agree
    return [replace(e, event_id="") for e in events], frames[0]


@pytest.mark.slow
@pytest.mark.parametrize("clip", CLIPS, ids=[c.stem for c in CLIPS])
def test_two_workers_give_the_sequential_events(clip: Path, tmp_path: Path) -> None:
    one, n1 = _sequential(clip, tmp_path / "one")
    two, n2 = _events(clip, 2, tmp_path / "two")
    assert n1 == n2 > 0
    assert one, f"{clip.name}: no events at all, the comparison would prove nothing"
    assert two == one


class _AlwaysWrong(SkipGuess):
    """Fault injection: the real guess is right on almost every frame of a clip, so the two repairs
    (drop an unwanted detection, detect a wanted frame late) are forced here on every frame."""

    def guess(self, camera_id: str, index: int) -> bool:
        right = super().guess(camera_id, index)
        return not right


@pytest.mark.slow
def test_wrong_guesses_cost_time_not_events(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clip = ROOT / "sample_videos" / "gantry_day.mp4"
    one, _ = _sequential(clip, tmp_path / "one")
    monkeypatch.setattr(overlap, "SkipGuess", _AlwaysWrong)
    wrong, _ = _events(clip, 2, tmp_path / "wrong")
    assert wrong == one


def test_the_guess_follows_a_settled_cycle() -> None:
    g = SkipGuess()
    assert g.guess("cam", 0)  # nothing known: detect
    # the tracker's decisions while a passage is being read, then settled with detect_every_settled = 3
    decisions = [True, True, True, False, False, True, False, False, True]
    for i, wanted in enumerate(decisions):
        g.learn("cam", i, wanted)
    last_detect = len(decisions) - 1
    # three frames ahead of the tracker, the cycle goes on
    assert [g.guess("cam", last_detect + k) for k in (1, 2, 3, 4)] == [False, False, True, False]
    assert g.guess("other", 5)  # per camera
    g.learn("cam", 9, True)  # a new vehicle: detected on consecutive frames, the cycle is over
    assert g.guess("cam", 10) and g.guess("cam", 11)
