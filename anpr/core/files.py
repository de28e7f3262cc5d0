"""Files that hold personal data (plates, positions) are created readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path


def private_file(path: Path) -> None:
    """Create `path` readable by its owner only (SQLite gives its -wal and -shm files the same mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:  # not our file (a read-only copy, another owner): leave its mode alone
        pass
    finally:
        os.close(fd)
