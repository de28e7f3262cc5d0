"""`anpr replay VIDEO --annotate OUT.mp4` on a short cut of the gantry clip: the annotated video opens
and has the source's frame count, and a frame where the stolen plate is in view is drawn on."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
GANTRY = ROOT / "sample_videos" / "gantry_day.mp4"
N = 30


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first N frames of the gantry clip (HZTV41, on the hotlist, is in view throughout)."""
    out = tmp_path_factory.mktemp("clip") / "gantry_short.mp4"
    cap = cv2.VideoCapture(str(GANTRY))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), 25.0, (1920, 1080))
    for _ in range(N):
        ok, img = cap.read()
        assert ok
        writer.write(img)
    writer.release()
    cap.release()
    return out


def _frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} does not open"
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    return frames


def test_annotated_video_has_every_frame_and_the_hit_in_red(
    short_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "annotated.mp4"
    assert main(["replay", str(short_clip), "--annotate", str(out), "--json", "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    src, ann = _frames(short_clip), _frames(out)
    assert len(ann) == len(src) == N == summary["annotated"]["frames"]
    assert ann[0].shape == src[0].shape
    last = ann[-1].astype(np.int16)
    diff = np.abs(last - src[-1].astype(np.int16)).sum(axis=2)
    assert (diff > 60).sum() > 2000, "nothing drawn on the last frame"

    # the early hit on HZTV41 is drawn in red (BGR ~ (40, 40, 230)); the car is red too, so count only
    # pixels that turned red
    def red(img: np.ndarray) -> np.ndarray:
        b, g, r = img[..., 0], img[..., 1], img[..., 2]
        return (r > 180) & (g < 90) & (b < 90)

    assert (red(last) & ~red(src[-1].astype(np.int16))).sum() > 200


def test_unwritable_output_is_a_clear_error(short_clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(short_clip), "--annotate", "/proc/nope/out.mp4", "--no-progress"]) == 2
    assert "/proc/nope/out.mp4" in capsys.readouterr().err
