"""The outbox's SQLite schema and the plain records it hands out (kept apart from the queue logic)."""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('hit', 'read')),
    payload BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS events_pending ON events (kind, id) WHERE delivered_at IS NULL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
-- Records leave only by retention (they name plates: Ley 19.628): a DELETE of anything at or after the
-- cutoff that `purge` writes is refused. The old blanket trigger is replaced on databases that had it.
CREATE TABLE IF NOT EXISTS audit_cutoff (id INTEGER PRIMARY KEY CHECK (id = 1), cutoff REAL NOT NULL);
DROP TRIGGER IF EXISTS audit_no_delete;
CREATE TRIGGER IF NOT EXISTS audit_only_expired BEFORE DELETE ON audit
    WHEN OLD.at >= COALESCE((SELECT cutoff FROM audit_cutoff WHERE id = 1), 0)
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
"""


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    event_id: str
    kind: str
    payload: bytes
    created_at: float


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending_hits: int
    pending_reads: int
    pending_bytes: int
    oldest_pending_age_s: float | None
    stored_bytes: int
    delivered_kept: int
    evicted_reads: int
    expired_reads: int
    in_memory: int
    disk_full: bool
    last_error: str | None
    reserve_held: bool = False
    """True while the disk reserve file is in place (False: released for a full disk, or none configured)."""
