"""What leaves the outbox undelivered, as SQL run inside the caller's transaction: reads evicted for room
(the byte bound, or a full disk that must take a hit), and events and audit records past their retention;
with the counters in `meta` that `stats` reports them by."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Evicted:
    events: int
    never_delivered: int
    """Counted in `meta.evicted_reads`."""
    freed_bytes: int


@dataclass(frozen=True, slots=True)
class Purged:
    events: int
    expired_reads: int
    """Reads that reached their retention before delivery (counted in `meta.expired_reads`)."""
    audit: int


def bump(db: sqlite3.Connection, key: str, n: int) -> None:
    """Add `n` to the counter `key` in `meta`."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + ?", (key, n, n)
    )


def evict_reads(db: sqlite3.Connection, need: int) -> Evicted:
    """Delete the oldest reads (delivered ones first) worth `need` bytes; never a hit."""
    evicted = lost_total = freed = 0
    while need > freed:
        rows = db.execute(
            "SELECT id, size, delivered_at FROM events WHERE kind = 'read' ORDER BY delivered_at IS NULL, id LIMIT 256"
        ).fetchall()
        if not rows:
            break
        dropped, lost = [], 0
        for rid, size, delivered_at in rows:
            dropped.append(rid)
            freed += size
            lost += delivered_at is None
            if freed >= need:
                break
        db.executemany("DELETE FROM events WHERE id = ?", [(r,) for r in dropped])
        evicted += len(dropped)
        lost_total += lost
        if lost:
            bump(db, "evicted_reads", lost)
    return Evicted(evicted, lost_total, freed)


def purge_expired(db: sqlite3.Connection, read_cut: float, hit_cut: float, audit_cut: float) -> Purged:
    """Delete reads created before `read_cut` (delivered or not), hits delivered before `hit_cut`, and audit
    records before `audit_cut`."""
    expired = db.execute(
        "SELECT COUNT(*) FROM events WHERE kind = 'read' AND created_at < ? AND delivered_at IS NULL", (read_cut,)
    ).fetchone()[0]
    if expired:
        bump(db, "expired_reads", expired)
    n = db.execute("DELETE FROM events WHERE kind = 'read' AND created_at < ?", (read_cut,)).rowcount
    n += db.execute(
        "DELETE FROM events WHERE kind = 'hit' AND delivered_at IS NOT NULL AND delivered_at < ?", (hit_cut,)
    ).rowcount
    # The audit trail names plates too: personal data under the same law as the reads. The cutoff row lets
    # the append-only trigger allow exactly these deletes.
    db.execute("INSERT OR REPLACE INTO audit_cutoff (id, cutoff) VALUES (1, ?)", (audit_cut,))
    audited = db.execute("DELETE FROM audit WHERE at < ?", (audit_cut,)).rowcount
    return Purged(int(n), int(expired), int(audited))
