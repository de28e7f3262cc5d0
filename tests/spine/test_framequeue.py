"""The hand-off queue: replayed frames are never dropped, live frames never block."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import numpy as np
import pytest

from anpr.app.framequeue import FrameQueue
from anpr.types import Frame

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _frame(cam: str, seq: int) -> Frame:
    return Frame(cam, seq, T0, np.zeros((2, 2, 3), np.uint8))


def test_live_frames_displace_the_oldest_of_their_camera() -> None:
    q = FrameQueue(2, live_depth=2)
    assert q.put(_frame("a", 0), live=True)
    assert q.put(_frame("b", 0), live=True)
    assert not q.put(_frame("a", 1), live=True)  # full: a/0 goes, b/0 stays
    got = [q.get(0.01), q.get(0.01)]
    assert [(item[0].camera_id, item[0].seq) for item in got if item is not None] == [("b", 0), ("a", 1)]
    assert q.get(0.01) is None


def test_a_live_camera_keeps_only_its_newest_frame_queued() -> None:
    q = FrameQueue(8)  # room to spare: the per-camera depth (1), not the size, drops the older frame
    assert q.put(_frame("a", 0), live=True)
    assert q.put(_frame("b", 0), live=True)
    assert not q.put(_frame("a", 1), live=True)
    assert not q.put(_frame("a", 2), live=True)
    got = [q.get(0.01), q.get(0.01)]
    assert [(item[0].camera_id, item[0].seq) for item in got if item is not None] == [("b", 0), ("a", 2)]
    assert q.get(0.01) is None


def test_replay_frames_wait_for_room_and_keep_order() -> None:
    q = FrameQueue(1)
    q.put(_frame("a", 0), live=False)
    done = threading.Event()

    def producer() -> None:
        for i in range(1, 20):
            q.put(_frame("a", i), live=False)
        done.set()

    t = threading.Thread(target=producer)
    t.start()
    seqs: list[int] = []
    while len(seqs) < 20:
        item = q.get(1.0)
        assert item is not None
        seqs.append(item[0].seq)
    t.join(2)
    assert done.is_set()
    assert seqs == list(range(20))


def test_maxsize_is_validated() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        FrameQueue(0)
    with pytest.raises(ValueError, match="live_depth"):
        FrameQueue(4, live_depth=0)
    with pytest.raises(ValueError, match="live_max_wait_s"):
        FrameQueue(4, live_max_wait_s=-1.0)


def test_a_live_camera_may_queue_several_frames_to_absorb_a_slow_one() -> None:
    q = FrameQueue(8, live_depth=3)
    assert all(q.put(_frame("a", i), live=True) for i in range(3))
    assert not q.put(_frame("a", 3), live=True)  # the fourth displaces the oldest
    seqs = [item[0].seq for item in iter(lambda: q.get(0.01), None)]
    assert seqs == [1, 2, 3]


def test_a_live_frame_that_waited_too_long_gives_way_to_a_newer_one() -> None:
    dropped: list[str] = []
    q = FrameQueue(8, live_depth=3, live_max_wait_s=0.05, on_stale=dropped.append)
    q.put(_frame("a", 0), live=True)
    q.put(_frame("b", 0), live=True)
    q.put(_frame("a", 1), live=True)
    time.sleep(0.08)  # every frame is now stale
    q.put(_frame("a", 2), live=True)
    got = [(item[0].camera_id, item[0].seq) for item in iter(lambda: q.get(0.01), None)]
    # a/0 and a/1 had a newer frame of their camera behind them; b/0, though stale, is its camera's newest.
    assert got == [("b", 0), ("a", 2)]
    assert dropped == ["a", "a"]


def test_a_stale_frame_is_still_taken_when_it_is_the_newest_and_replays_never_go_stale() -> None:
    q = FrameQueue(8, live_depth=3, live_max_wait_s=0.0)
    q.put(_frame("a", 0), live=True)
    for i in range(3):
        q.put(_frame("r", i), live=False)
    time.sleep(0.01)
    got = [(item[0].camera_id, item[0].seq) for item in iter(lambda: q.get(0.01), None)]
    assert got == [("a", 0), ("r", 0), ("r", 1), ("r", 2)]
