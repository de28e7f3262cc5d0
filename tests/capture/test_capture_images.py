"""ImagesSource on a real folder of photos with a text file and a broken JPEG among them."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import pytest
from helpers.capture import draw_frame, frame_number

from anpr.capture.base import SourceError
from anpr.capture.config import CameraConfig
from anpr.capture.images import ImagesSource

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def make_folder(folder: Path) -> None:
    folder.mkdir()
    for i in (3, 1, 2):  # written out of order: the source sorts by name
        assert cv2.imwrite(str(folder / f"img_{i:02d}.jpg"), draw_frame(i, 320, 240))
    cv2.imwrite(str(folder / "img_04.png"), draw_frame(4, 288, 200))
    (folder / "img_015_notes.txt").write_text("operator notes, not a photo\n")
    good = (folder / "img_01.jpg").read_bytes()
    (folder / "img_025_broken.jpg").write_bytes(good[:20] + bytes(200))  # JPEG header, then nothing usable
    (folder / ".hidden.jpg").write_bytes(b"editor swap file")
    (folder / "sub").mkdir()


def test_sorted_frames_with_bad_files_counted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "photos"
    make_folder(folder)
    src = ImagesSource(CameraConfig(id="desk", kind="images", uri=str(folder), start_time=START, fps=2.0))
    with caplog.at_level(logging.WARNING, logger="anpr.capture"):
        frames = list(src.frames(threading.Event()))
    src.close()

    assert [frame_number(f.image) for f in frames] == [1, 2, 3, 4]
    assert [f.seq for f in frames] == [0, 1, 2, 3]
    assert [f.captured_at for f in frames] == [START + timedelta(seconds=i / 2) for i in range(4)]
    assert frames[3].image.shape == (200, 288, 3)
    stats = src.stats()
    assert (stats.frames, stats.corrupt, stats.dropped) == (4, 2, 0)
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2  # one line per bad file, nothing per good frame
    assert any("img_015_notes.txt" in m for m in warned) and any("img_025_broken.jpg" in m for m in warned)


def test_default_timeline_is_one_frame_per_second(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_folder(folder)
    frames = list(
        ImagesSource(CameraConfig(kind="images", uri=str(folder), start_time=START)).frames(threading.Event())
    )
    assert frames[-1].captured_at - frames[0].captured_at == timedelta(seconds=3)


def test_missing_or_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nowhere does not exist or is not a folder"):
        ImagesSource(CameraConfig(kind="images", uri=str(tmp_path / "nowhere")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match=r"empty has no files"):
        ImagesSource(CameraConfig(kind="images", uri=str(tmp_path / "empty")))
