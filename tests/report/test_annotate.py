"""`anpr replay VIDEO --annotate OUT.mp4` on a short cut of the gantry clip: the annotated video is H.264
(browsers play it), has the source's frame count, and a frame where the stolen plate is in view is drawn
on; labels stay inside the frame and far plates get a box only."""

from __future__ import annotations

import json
import shutil
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


def _codec(path: Path) -> tuple[str, str]:
    import av

    with av.open(str(path)) as box:
        ctx = box.streams.video[0].codec_context
        return ctx.name, str(ctx.pix_fmt)


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
    assert summary["annotated"]["codec"] == "h264" and _codec(out) == ("h264", "yuv420p")
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


def _drawn(img: np.ndarray, dets: list[tuple[float, float, float, float]], text: str = "BBCD12") -> np.ndarray:
    """`Annotator.draw` of one frame with these boxes, each read as `text` (the recorders filled by hand)."""
    from datetime import datetime, timezone

    from anpr.app.annotate import Annotator
    from anpr.types import Detection, Frame, PlateRead

    ann = Annotator(Path("unused.mp4"), 25.0)
    for box in dets:
        det = Detection(box, 0.9)
        ann._dets.append(det)
        ann._reads.append((det, PlateRead(text, 0.95, (0.95,) * len(text), text, "car_2007")))
    return ann.draw(Frame("front", 7, datetime(2024, 5, 17, tzinfo=timezone.utc), img))


def test_labels_stay_inside_the_frame_and_far_plates_get_a_box_only() -> None:
    def green(img: np.ndarray) -> np.ndarray:  # a read's box and label (BGR 60,200,60); the footer is white
        return (img[:, :, 1] > 150) & (img[:, :, 2] < 120)

    black = np.zeros((360, 640, 3), np.uint8)
    edge = green(_drawn(black.copy(), [(560.0, 250.0, 636.0, 280.0)]))  # a near plate at the right edge
    label = edge[283:, :]  # below the box: the label
    assert label.sum() > 200 and np.where(label.any(axis=0))[0].min() < 560  # moved left to fit
    assert np.where(label.any(axis=0))[0].max() <= 637
    far = green(_drawn(black.copy(), [(100.0, 100.0, 130.0, 110.0)]))  # 30 px wide: far away
    rows, cols = np.where(far)
    assert cols.min() >= 98 and cols.max() <= 132 and rows.max() <= 112  # the box, and no text beside it


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg binary")
def test_the_ffmpeg_binary_writes_h264_when_pyav_is_missing(tmp_path: Path) -> None:
    from anpr.app.video_out import _FfmpegBinary

    out = tmp_path / "b.mp4"
    w = _FfmpegBinary(shutil.which("ffmpeg") or "ffmpeg", out, 25.0, (321, 241))  # odd sides are evened
    for i in range(10):
        w.write(np.full((241, 321, 3), i * 20, np.uint8))
    w.close()
    assert _codec(out) == ("h264", "yuv420p") and len(_frames(out)) == 10
