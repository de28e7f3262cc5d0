"""What the outbox does when SQLite finds the disk full: give room back, cheapest first. The WAL frames
already copied into the database file, then the disk reserve (`anpr.uplink.reserve`), then reads, and
those only when a hit waits to be written (a hit is never evicted)."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Sequence

from anpr.core.dbfile import rollback
from anpr.uplink.outbox_retention import evict_reads
from anpr.uplink.outbox_schema import QueuedEvent
from anpr.uplink.reserve import DiskReserve

log = logging.getLogger(__name__)


def give_room_back(db: sqlite3.Connection, reserve: DiskReserve | None, items: Sequence[QueuedEvent]) -> bool:
    """Outside a transaction, for the `items` a write could not take. True when something was freed (worth
    one more try). Reads it deletes change the outbox's byte total: the caller counts it again."""
    freed = False
    with contextlib.suppress(sqlite3.Error):
        busy, frames, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        freed = not busy and frames > 0
    if reserve is not None and reserve.release():
        freed = True
    if any(it.kind == "hit" for it in items):
        freed = _evict_for_hits(db, 2 * sum(len(it.payload) for it in items) + 65536) or freed
    return freed


def _evict_for_hits(db: sqlite3.Connection, room: int) -> bool:
    """Delete reads worth `room` bytes in their own transaction and shrink the WAL."""
    try:
        db.execute("BEGIN IMMEDIATE")
        gone = evict_reads(db, room)
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as err:
        rollback(db)
        log.error("disk full: could not evict reads to make room for a hit: %s", err)
        return False
    if gone.events:
        log.error(
            "disk full: evicted %d read(s) (%d never delivered) to commit hits", gone.events, gone.never_delivered
        )
    return gone.events > 0
