"""A reserve of disk space for hits: a preallocated file in the state folder, deleted when the disk fills.

On a Pi the SD card fills with logs, images or another program's files; SQLite then cannot commit, and
a hit held only in memory dies with the process. The reserve file is made while there is room; when a
write fails for lack of space the outbox deletes it, which gives back exactly that much room to commit
the hits (reads are evicted first), and makes it again once the disk has room.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)

NAME = ".anpr-disk-reserve"
_CHUNK = 1 << 20


class DiskReserve:
    def __init__(self, folder: str | Path, size: int) -> None:
        self.path = Path(folder) / NAME
        self.size = size
        self.released = 0
        self._checked = -1e9

    def ensure_every(self, seconds: float) -> bool:
        """`ensure`, at most once per `seconds` (called after every commit)."""
        now = time.monotonic()
        if now - self._checked < seconds:
            return self.size > 0
        self._checked = now
        return self.ensure()

    @property
    def held(self) -> bool:
        try:
            return self.path.stat().st_size >= self.size
        except OSError:
            return False

    def ensure(self) -> bool:
        """Make the reserve if it is missing and the disk has room for it twice over; True when held."""
        if self.size <= 0 or self.held:
            return self.size > 0
        try:
            if shutil.disk_usage(self.path.parent).free < 2 * self.size:
                return False
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                zeros = bytes(
                    _CHUNK
                )  # written, not fallocated: tmpfs and some SD filesystems do not reserve on fallocate
                left = self.size
                while left > 0:
                    left -= os.write(fd, zeros[: min(left, _CHUNK)])
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as err:
            self.path.with_suffix(".tmp").unlink(missing_ok=True)
            log.warning("disk reserve %s not made (%s); a full disk may then hold hits only in memory", self.path, err)
            return False
        log.info("disk reserve of %d bytes held at %s", self.size, self.path)
        return True

    def release(self) -> bool:
        """Delete the reserve (the disk is full); True if there was one to give back."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        except OSError as err:
            log.error("disk reserve %s cannot be released: %s", self.path, err)
            return False
        self.released += 1
        log.error("ALARM disk full: released the %d-byte reserve at %s to keep committing hits", self.size, self.path)
        return True
