"""What the car's SQLite stores (outbox, hotlist) share: private files and failures on a full disk."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path


def private_file(path: Path) -> None:
    """Create `path` readable by its owner only (SQLite gives its -wal and -shm files the same mode).

    The stores hold plates and positions: personal data."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:  # not our file (a read-only copy, another owner): leave its mode alone
        pass
    finally:
        os.close(fd)


def rollback(conn: sqlite3.Connection) -> None:
    """ROLLBACK unless SQLite already rolled back (it does on a full disk; ROLLBACK would then raise)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def is_full(err: sqlite3.Error) -> bool:
    """SQLite failed for lack of disk space."""
    code = getattr(err, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or "full" in str(err).lower()
