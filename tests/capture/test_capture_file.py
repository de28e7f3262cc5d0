"""FileSource on real mp4 files written by OpenCV (and one by the ffmpeg binary)."""

from __future__ import annotations

import hashlib
import itertools
import logging
import subprocess
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from helpers.capture import frame_number, have_ffmpeg, write_video

from anpr.capture.base import Source, SourceError
from anpr.capture.config import CameraConfig
from anpr.capture.file import FileSource
from anpr.types import Frame

START = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def cfg_for(path: Path) -> CameraConfig:
    return CameraConfig(id="replay", kind="file", uri=str(path), start_time=START)


def read_all(path: Path) -> tuple[list[Frame], FileSource]:
    src = FileSource(cfg_for(path))
    try:
        return list(src.frames(threading.Event())), src
    finally:
        src.close()


def test_every_frame_in_order_with_pts_timestamps(video: Path) -> None:
    frames, src = read_all(video)
    assert isinstance(src, Source)
    assert src.live is False
    assert [f.seq for f in frames] == list(range(64))
    assert [frame_number(f.image) for f in frames] == list(range(64))
    # 25 fps: frame i is presented at i * 40 ms after the start time
    assert [f.captured_at for f in frames] == [START + timedelta(milliseconds=40 * i) for i in range(64)]
    assert all(f.camera_id == "replay" for f in frames)
    assert frames[0].image.shape == (240, 320, 3) and frames[0].image.dtype == np.uint8
    stats = src.stats()
    assert (stats.frames, stats.grabbed, stats.corrupt, stats.dropped) == (64, 64, 0, 0)


def test_two_replays_are_identical(video: Path) -> None:
    def digest(frames: list[Frame]) -> list[tuple[int, datetime, str]]:
        return [(f.seq, f.captured_at, hashlib.sha256(f.image.tobytes()).hexdigest()) for f in frames]

    first, _ = read_all(video)
    second, _ = read_all(video)
    assert digest(first) == digest(second)


def test_stop_event_ends_replay_early(video: Path) -> None:
    src = FileSource(cfg_for(video))
    stop = threading.Event()
    got = []
    for frame in src.frames(stop):
        got.append(frame.seq)
        if frame.seq == 9:
            stop.set()
    src.close()
    assert got == list(range(10))
    # a later call continues where the first stopped, nothing lost or repeated
    src2 = FileSource(cfg_for(video))
    first = [f.seq for f in itertools.islice(src2.frames(threading.Event()), 5)]
    rest = [frame_number(f.image) for f in src2.frames(threading.Event())]
    src2.close()
    assert first == list(range(5))
    assert rest == list(range(5, 64))


@pytest.mark.skipif(not have_ffmpeg(), reason="ffmpeg binary missing (apt-get install ffmpeg)")
def test_timestamps_follow_container_pts_not_frame_count(tmp_path: Path) -> None:
    # Variable frame rate: 10 fps, then a 1 s hole after frame 9 (a camera that paused). The file's PTS
    # (in 1/10 s ticks) say so; counting frames at the nominal rate would not.
    path = tmp_path / "vfr.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-frames:v", "20",
            "-vf", r"setpts=N+10*gte(N\,10)", "-fps_mode", "passthrough", "-enc_time_base", "1/10",
            "-c:v", "mpeg4", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    frames, _ = read_all(path)
    offsets = [round((f.captured_at - START).total_seconds(), 3) for f in frames]
    assert len(frames) == 20
    assert offsets[:10] == [i / 10 for i in range(10)]
    assert offsets[10:] == [round(1.0 + i / 10, 3) for i in range(10, 20)]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.mp4 does not exist"):
        FileSource(cfg_for(tmp_path / "nope.mp4"))


def test_folder_and_empty_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"is not a file.*images"):
        FileSource(cfg_for(tmp_path))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match=r"empty\.mp4 is empty"):
        FileSource(cfg_for(empty))


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(1).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    with pytest.raises(SourceError, match=r"junk\.mp4 cannot be decoded.*ffprobe"):
        FileSource(cfg_for(junk))


def test_truncated_files_are_clear_errors(video: Path, tmp_path: Path) -> None:
    data = video.read_bytes()
    cut_end = tmp_path / "cut_end.mp4"
    cut_end.write_bytes(data[: len(data) // 2])  # a recording that stopped mid-write
    cut_mid = tmp_path / "cut_mid.mp4"
    cut_mid.write_bytes(data[: len(data) // 2] + data[len(data) // 2 + 4000 :])  # bytes lost in the middle
    for path in (cut_end, cut_mid):
        with pytest.raises(SourceError, match=rf"{path.name} cannot be decoded"):
            FileSource(cfg_for(path))


@pytest.mark.skipif(not have_ffmpeg(), reason="ffmpeg binary missing (apt-get install ffmpeg)")
def test_truncated_streamable_file_plays_what_is_there(
    video: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # With the index at the front (faststart) a cut-off recording still opens; it must end cleanly.
    fast = tmp_path / "fast.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-c", "copy", "-movflags", "+faststart", str(fast)],
                   check=True, timeout=60)  # fmt: skip
    data = fast.read_bytes()
    cut = tmp_path / "cut_fast.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    with caplog.at_level(logging.WARNING, logger="anpr.capture"):
        frames, src = read_all(cut)
    assert 10 < len(frames) < 64
    # the last frame may be a partial decode (FFmpeg conceals what is missing); the rest are intact
    assert [frame_number(f.image) for f in frames[:-1]] == list(range(len(frames) - 1))
    assert src.stats().frames == len(frames)
    assert any("may be truncated" in r.getMessage() for r in caplog.records)


def test_corrupt_frames_mid_file_are_counted_and_skipped(video: Path, tmp_path: Path) -> None:
    data = bytearray(video.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 4000] = np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))

    frames, src = read_all(damaged)
    stats = src.stats()
    assert stats.corrupt >= 1
    assert stats.frames == len(frames) == stats.grabbed
    assert stats.frames + stats.corrupt == 64  # every frame of the file is either delivered or counted
    assert [f.seq for f in frames] == list(range(len(frames)))  # no gaps in seq
    stamps = [f.captured_at for f in frames]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    # the frames before the damage are intact and on their own timeline
    assert [frame_number(f.image) for f in frames[:10]] == list(range(10))
    assert stamps[-1] == START + timedelta(milliseconds=40 * 63)


def test_container_without_decodable_frames_fails_at_open(video: Path, tmp_path: Path) -> None:
    data = bytearray(video.read_bytes())
    start = data.find(b"mdat") + 4
    end = data.find(b"moov") - 4
    data[start:end] = bytes(end - start)  # keep the index, zero every coded frame
    blank = tmp_path / "blank.mp4"
    blank.write_bytes(bytes(data))
    with pytest.raises(SourceError, match=r"blank\.mp4"):
        FileSource(cfg_for(blank))


def test_missing_pts_fall_back_to_frame_rate(video: Path) -> None:
    src = FileSource(cfg_for(video))
    src.close()
    assert src.fps == 25.0
    assert src._timestamp_ms(0, 0.0, None) == 0.0
    assert src._timestamp_ms(3, 0.0, 0.0) == 120.0  # OpenCV reports 0 when a frame has no PTS
    assert src._timestamp_ms(3, 120.0, 80.0) == 120.0
    assert src._timestamp_ms(5, float("nan"), 120.0) == 200.0
    assert src._timestamp_ms(4, 160.0, None) == 160.0  # first decodable frame after corrupt ones keeps its PTS
    assert src._timestamp_ms(4, 100.0, 120.0) == 160.0  # PTS running backwards is not trusted


def test_1080p_file_decodes(tmp_path: Path) -> None:
    path = write_video(tmp_path / "hd.mp4", n=8, width=1920, height=1080)
    frames, _ = read_all(path)
    assert [frame_number(f.image) for f in frames] == list(range(8))
    assert frames[0].image.shape == (1080, 1920, 3)
