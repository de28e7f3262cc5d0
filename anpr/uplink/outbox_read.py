"""Reading an outbox database without writing it: the counts behind `Outbox.stats`, and a read-only open
for operators (`anpr queue status`) that never creates a database, or its folder, where none is."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from anpr.uplink.outbox_schema import OutboxStats
from anpr.uplink.reserve import DiskReserve


class NoOutbox(FileNotFoundError):
    """There is no outbox database at this path (nothing was ever queued there)."""


@dataclass(frozen=True, slots=True)
class StoredCounts:
    """What the database holds besides its byte total (the `Outbox` keeps that as a running count, and
    adds the events it holds in memory)."""

    pending_hits: int
    pending_reads: int
    pending_bytes: int
    oldest_pending_at: float | None
    delivered_kept: int
    evicted_reads: int
    expired_reads: int


def stored_bytes(db: sqlite3.Connection) -> int:
    """The payload bytes of every stored event, delivered or not: what the outbox's bound counts."""
    return int(db.execute("SELECT COALESCE(SUM(size), 0) FROM events").fetchone()[0])


def stored_counts(db: sqlite3.Connection) -> StoredCounts:
    q = db.execute
    counts = dict(q("SELECT kind, COUNT(*) FROM events WHERE delivered_at IS NULL GROUP BY kind").fetchall())
    pbytes, oldest = q(
        "SELECT COALESCE(SUM(size), 0), MIN(created_at) FROM events WHERE delivered_at IS NULL"
    ).fetchone()
    kept = q("SELECT COUNT(*) FROM events WHERE delivered_at IS NOT NULL").fetchone()[0]
    meta = dict(q("SELECT key, value FROM meta").fetchall())
    return StoredCounts(
        pending_hits=int(counts.get("hit", 0)),
        pending_reads=int(counts.get("read", 0)),
        pending_bytes=int(pbytes),
        oldest_pending_at=oldest,
        delivered_kept=int(kept),
        evicted_reads=int(meta.get("evicted_reads", 0)),
        expired_reads=int(meta.get("expired_reads", 0)),
    )


def open_read_only(path: Path) -> sqlite3.Connection:
    """`path` opened with SQLite's `mode=ro`: never created, never written. NoOutbox when it is absent;
    OSError or sqlite3.Error when it is there but unreadable."""
    try:
        path.stat()
    except FileNotFoundError:
        raise NoOutbox(path) from None
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)


def read_stats(path: Path, reserve: DiskReserve | None = None, clock: Callable[[], float] = time.time) -> OutboxStats:
    """The stats of the outbox at `path` as stored on disk, read without writing (what a running daemon
    holds in memory is not seen). NoOutbox when there is none."""
    db = open_read_only(path)
    try:
        c = stored_counts(db)
        stored = stored_bytes(db)
    finally:
        db.close()
    return OutboxStats(
        pending_hits=c.pending_hits,
        pending_reads=c.pending_reads,
        pending_bytes=c.pending_bytes,
        oldest_pending_age_s=None if c.oldest_pending_at is None else clock() - c.oldest_pending_at,
        stored_bytes=stored,
        delivered_kept=c.delivered_kept,
        evicted_reads=c.evicted_reads,
        expired_reads=c.expired_reads,
        in_memory=0,
        disk_full=False,
        last_error=None,
        reserve_held=reserve is not None and reserve.held,
    )
