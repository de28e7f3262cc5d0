"""What the outbox does when the disk is full: recognise it, make room for hits, keep files private."""

from __future__ import annotations

import contextlib
import logging
import sqlite3

log = logging.getLogger(__name__)


def is_full(err: sqlite3.Error) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or "full" in str(err).lower()


def evict_reads(db: sqlite3.Connection, room: int) -> tuple[int, int]:
    """Delete reads (delivered first, then the oldest) worth `room` bytes, in their own transaction, and
    shrink the WAL. Returns (evicted, never delivered); (0, 0) when nothing could be deleted."""
    try:
        rows = db.execute(
            "SELECT id, size, delivered_at FROM events WHERE kind = 'read' ORDER BY delivered_at IS NULL, id"
        ).fetchall()
        victims, lost, freed = [], 0, 0
        for rid, size, delivered_at in rows:
            if freed >= room:
                break
            victims.append((rid,))
            freed += size
            lost += delivered_at is None
        if not victims:
            return 0, 0
        db.execute("BEGIN IMMEDIATE")
        db.executemany("DELETE FROM events WHERE id = ?", victims)
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as err:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        log.error("disk full: could not evict reads to make room for a hit: %s", err)
        return 0, 0
    log.error("disk full: evicted %d read(s) (%d never delivered) to commit hits", len(victims), lost)
    return len(victims), lost
