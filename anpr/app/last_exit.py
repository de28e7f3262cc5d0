"""What the daemon lost at its last exit, kept across the restart so that someone sees it.

Events are lost at exit only when the outbox could not write what memory held: the state disk is full (or
failing). A new file cannot be written then, so the record lives in a file of fixed size made at start,
`{state_dir}/last_exit.json` (JSON padded with spaces to `SIZE` bytes), and the exit overwrites those same
bytes in place, which needs no new disk block. The next start takes the record (and blanks the file): the
status file shows it for the whole run (`anpr status`: "events lost at last exit"), and the first MQTT
status message carries it once. While the daemon is stopped, `anpr status` reads it from the file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE = "last_exit.json"
SIZE = 512
"""Bytes of the file: a record is under 150."""


@dataclass(frozen=True, slots=True)
class ExitLoss:
    """Events the outbox could not write before the daemon exited, and when it exited."""

    hits: int
    reads: int
    at: datetime

    @property
    def events(self) -> int:
        return self.hits + self.reads

    def to_dict(self) -> dict[str, Any]:
        at = self.at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        return {"events": self.events, "hits": self.hits, "reads": self.reads, "at": at}


def exit_path(state_dir: str | Path) -> Path:
    return Path(state_dir) / FILE


def read_loss(path: Path) -> ExitLoss | None:
    """The loss recorded in `path`; None when there is none (absent, blank, or unreadable: logged)."""
    try:
        text = path.read_bytes().decode("utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        log.warning("%s not readable (%s): a loss at the last exit, if any, is unknown", path, err)
        return None
    if not text or text == "{}":
        return None
    try:
        data = json.loads(text)
        at = datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00"))
        loss = ExitLoss(int(data["hits"]), int(data["reads"]), at)
    except (ValueError, TypeError, KeyError) as err:
        log.warning("%s is not a loss record (%s); ignored", path, err)
        return None
    return loss if loss.events > 0 else None


def _write_in_place(path: Path, record: dict[str, Any], create: bool) -> None:
    data = json.dumps(record, sort_keys=True).encode()
    if len(data) > SIZE:
        raise ValueError(f"loss record of {len(data)} bytes does not fit in {SIZE}")
    flags = os.O_WRONLY | (os.O_CREAT if create else 0)
    fd = os.open(path, flags, 0o644)  # no O_TRUNC: the blocks the file has are written over, none freed
    try:
        os.pwrite(fd, data.ljust(SIZE), 0)
        os.fsync(fd)
    finally:
        os.close(fd)


class ExitNote:
    """The record's file: read it at start (`read_loss`), then `reset()` it once the daemon runs (blank, at
    full size, its blocks allocated), and `record()` a loss at exit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def reset(self) -> None:
        try:
            _write_in_place(self.path, {}, create=True)
        except OSError as err:  # a full disk at start: the exit still tries to write the record
            log.warning("%s not made (%s): a loss at exit may not be recorded", self.path, err)

    def record(self, loss: ExitLoss) -> bool:
        """Write `loss` over the file's bytes; False (logged) when it cannot be written."""
        try:
            _write_in_place(self.path, loss.to_dict(), create=True)
        except OSError as err:
            log.error("the loss at exit (%d event(s)) could not be recorded in %s: %s", loss.events, self.path, err)
            return False
        return True


class Once:
    """A value handed out once (the first MQTT status message after a start carries the last exit's loss)."""

    def __init__(self, value: dict[str, Any] | None) -> None:
        self._value = value
        self._lock = threading.Lock()

    def take(self) -> dict[str, Any]:
        """`{"lost_at_last_exit": ...}` the first time (when there is a loss), `{}` after."""
        with self._lock:
            value, self._value = self._value, None
        return {} if value is None else {"lost_at_last_exit": value}
