"""The record of events lost at exit: a file of fixed size written over in place, read back, bad ones ignored.

(The daemon on a real full disk, `anpr status` and the MQTT status: tests/uplink/test_disk_full.py.)
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from anpr.app.last_exit import SIZE, ExitLoss, ExitNote, Once, exit_path, read_loss


def test_the_record_keeps_its_size_and_its_blocks_and_reads_back(tmp_path: Path) -> None:
    note = ExitNote(exit_path(tmp_path))
    assert read_loss(note.path) is None  # no file yet: nothing known lost
    note.reset()
    inode = os.stat(note.path).st_ino
    assert note.path.stat().st_size == SIZE and read_loss(note.path) is None
    loss = ExitLoss(hits=3, reads=40, at=datetime(2026, 12, 2, 13, 9, 5, tzinfo=timezone.utc))
    assert note.record(loss)
    assert note.path.stat().st_size == SIZE and os.stat(note.path).st_ino == inode  # the same file, same size
    assert read_loss(note.path) == loss
    assert loss.to_dict() == {"events": 43, "hits": 3, "reads": 40, "at": "2026-12-02T13:09:05Z"}
    note.reset()  # the next start has taken it
    assert read_loss(note.path) is None


@pytest.mark.parametrize("content", [b"\xff\xfe garbage", b'{"hits": "many"}', b'{"hits": 1}', b"[1, 2]"])
def test_a_damaged_record_is_ignored_with_a_warning(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = exit_path(tmp_path)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="anpr.app.last_exit"):
        assert read_loss(path) is None
    assert str(path) in caplog.text


def test_the_loss_is_handed_out_once() -> None:
    once = Once({"events": 2})
    assert once.take() == {"lost_at_last_exit": {"events": 2}}
    assert once.take() == {} and Once(None).take() == {}
