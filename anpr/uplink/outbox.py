"""The store-and-forward queue: SQLite in WAL mode with synchronous=FULL, bounded by payload bytes.

An event is committed before `put` returns. It counts as delivered only when the publisher hands its
event_id to `ack` after the broker's PUBACK for that very message. Hits go out before reads, oldest
first within a class. When the byte bound is reached the oldest reads are evicted (and counted), never
a hit (`outbox_retention`). When the disk is full the outbox gives room back (`outbox_full_disk`); what
still cannot be written stays in memory (`outbox_spill`: hits are never dropped), an alarm is raised, and
the next `retry_spill` writes it down. What is left in memory at `close` is counted as lost. Delivered
rows are kept for retention, then purged. The database holds plates and positions: owner-only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from anpr.core.dbfile import is_full, private_file, rollback
from anpr.uplink.outbox_full_disk import give_room_back
from anpr.uplink.outbox_read import stored_bytes, stored_counts
from anpr.uplink.outbox_retention import bump, evict_reads, purge_expired
from anpr.uplink.outbox_schema import SCHEMA, OutboxStats, QueuedEvent
from anpr.uplink.outbox_spill import Spill
from anpr.uplink.reserve import DiskReserve

__all__ = ["Outbox"]

log = logging.getLogger(__name__)


class Outbox:
    """Thread-safe: one connection behind a lock (the pipeline puts, the publisher reads and acks)."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        read_retention_s: float = 7 * 86400,
        hit_retention_s: float = 30 * 86400,
        audit_retention_s: float = 180 * 86400,
        spill_max: int = 10_000,
        max_pages: int | None = None,
        reserve: DiskReserve | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        private_file(self.path)
        self.reserve = reserve
        self.max_bytes = max_bytes
        self.read_retention_s = read_retention_s
        self.hit_retention_s = hit_retention_s
        self.audit_retention_s = audit_retention_s
        self._clock = clock
        self._lock = threading.Lock()
        self._spill = Spill(spill_max)
        self._acked_unsaved: dict[str, float] = {}
        self._over_bound_warned = False
        self.disk_full = False
        self.last_error: str | None = None
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        if max_pages is not None:  # test knob: a size-capped database stands in for a full disk
            self._db.execute(f"PRAGMA max_page_count={int(max_pages)}")
        self._db.executescript(SCHEMA)
        self._bytes = stored_bytes(self._db)
        if reserve is not None:
            reserve.ensure()

    # -- writing -------------------------------------------------------------------------------------
    def put(self, event_id: str, kind: str, payload: bytes) -> bool:
        """Store one event durably. True: on disk; False: held in memory (disk full). Never raises."""
        return self.put_many([(event_id, kind, payload)])

    def put_many(self, events: Iterable[tuple[str, str, bytes]]) -> bool:
        """Store (event_id, kind, payload) triples in one transaction: one fsync for the lot."""
        now = self._clock()
        items = [QueuedEvent(eid, kind, bytes(payload), now) for eid, kind, payload in events]
        for it in items:
            if it.kind not in ("hit", "read"):
                raise ValueError(f"kind must be 'hit' or 'read', not {it.kind!r}")
        with self._lock:
            if self._spill:
                self._flush_spill_locked()
            if not self._spill and self._insert_locked(items):
                return True
            for it in items:
                self._spill.add(it)
            return False

    def _insert_locked(self, items: list[QueuedEvent], retry: bool = True) -> bool:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            for item in items:
                self._make_room_locked(item)
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO events (event_id, kind, payload, size, created_at) VALUES (?, ?, ?, ?, ?)",
                    (item.event_id, item.kind, item.payload, len(item.payload), item.created_at),
                )
                if cur.rowcount:
                    self._bytes += len(item.payload)
            self._db.execute("COMMIT")
        except sqlite3.Error as err:
            rollback(self._db)
            self._recount_locked()  # evictions inside the failed transaction were undone too
            if retry and is_full(err):
                freed = give_room_back(self._db, self.reserve, items)
                self._recount_locked()  # the reads it evicted
                if freed:
                    return self._insert_locked(items, retry=False)
            self._raise_alarm(err)
            return False
        self._writable()
        return True

    def _recount_locked(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._bytes = stored_bytes(self._db)

    def _writable(self) -> None:
        if self.disk_full:
            log.warning("outbox %s writable again; %d event(s) still in memory", self.path, len(self._spill))
            self.disk_full = False
        if self.reserve is not None:
            self.reserve.ensure_every(30.0)

    def _make_room_locked(self, item: QueuedEvent) -> None:
        """Evict the oldest reads (delivered ones first) until `item` fits; never a hit."""
        need = self._bytes + len(item.payload) - self.max_bytes
        if need > 0:
            self._bytes -= evict_reads(self._db, need).freed_bytes
        if self._bytes + len(item.payload) > self.max_bytes and not self._over_bound_warned:
            self._over_bound_warned = True
            log.warning("outbox holds only hits and is over its bound of %d bytes; keeping them", self.max_bytes)

    def _raise_alarm(self, err: sqlite3.Error) -> None:
        self.last_error = f"{type(err).__name__}: {err}"
        if not self.disk_full:
            log.error("ALARM outbox %s cannot be written (%s); holding events in memory and retrying", self.path, err)
        self.disk_full = True

    def _flush_spill_locked(self) -> None:
        while self._spill:
            item = self._spill.first()
            if not self._insert_locked([item]):
                return
            self._spill.discard(item.event_id)
        if self._acked_unsaved:
            self._ack_db_locked(dict(self._acked_unsaved))
        elif self.disk_full:  # nothing left to write: prove the disk takes writes again
            try:
                self._db.execute("BEGIN IMMEDIATE")
                bump(self._db, "write_probes", 1)
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                rollback(self._db)
                self._raise_alarm(err)
                return
            self._writable()

    def retry_spill(self) -> int:
        """Try to write held events and acks to disk; returns how many events remain in memory."""
        with self._lock:
            self._flush_spill_locked()
            return len(self._spill)

    # -- reading and delivery ------------------------------------------------------------------------
    def pending(self, limit: int, exclude: Collection[str] = ()) -> list[QueuedEvent]:
        """Up to `limit` undelivered events, hits before reads, oldest first, skipping `exclude`."""
        with self._lock:
            extra = len(self._acked_unsaved) + len(exclude)
            rows: list[QueuedEvent] = []
            try:
                for eid, kind, payload, created in self._db.execute(
                    "SELECT event_id, kind, payload, created_at FROM events WHERE delivered_at IS NULL"
                    " ORDER BY kind, id LIMIT ?",
                    (limit + extra,),
                ):
                    rows.append(QueuedEvent(eid, kind, bytes(payload), created))
            except sqlite3.Error as err:
                log.error("outbox %s unreadable: %s", self.path, err)
            rows.extend(self._spill)
            rows = [r for r in rows if r.event_id not in exclude and r.event_id not in self._acked_unsaved]
            rows.sort(key=lambda r: (r.kind != "hit", r.created_at))
            return rows[:limit]

    def ack(self, event_ids: Iterable[str]) -> None:
        """Mark events delivered (their PUBACK arrived). A lost ack only means a duplicate later."""
        now = self._clock()
        with self._lock:
            todo = {}
            for eid in event_ids:
                if not self._spill.discard(eid):
                    todo[eid] = now
            if todo:
                self._acked_unsaved.update(todo)
                self._ack_db_locked(todo)

    def _ack_db_locked(self, todo: Mapping[str, float]) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "UPDATE events SET delivered_at = ? WHERE event_id = ? AND delivered_at IS NULL",
                [(t, e) for e, t in todo.items()],
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as err:
            rollback(self._db)
            self._raise_alarm(err)
            return
        for eid in todo:
            self._acked_unsaved.pop(eid, None)
        self._writable()

    # -- retention, audit, reporting -----------------------------------------------------------------
    def purge(self, now: float | None = None) -> int:
        """Delete reads past their retention (delivered or not), delivered hits past theirs, and audit
        records past theirs."""
        now = self._clock() if now is None else now
        read_cut, hit_cut = now - self.read_retention_s, now - self.hit_retention_s
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                gone = purge_expired(self._db, read_cut, hit_cut, now - self.audit_retention_s)
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                rollback(self._db)
                log.error("outbox purge failed: %s", err)
                return 0
            self._bytes = stored_bytes(self._db)
        if gone.events or gone.audit:
            log.info(
                "outbox retention purged %d event(s) (%d never delivered) and %d audit record(s)",
                gone.events, gone.expired_reads, gone.audit,
            )  # fmt: skip
        return gone.events

    def audit(self, kind: str, detail: Mapping[str, Any]) -> None:
        """Append one record (hit, alert, hotlist change...). Failure is logged, never raised."""
        text = json.dumps(detail, sort_keys=True, default=str)
        with self._lock:
            try:
                self._db.execute("INSERT INTO audit (at, kind, detail) VALUES (?, ?, ?)", (self._clock(), kind, text))
            except sqlite3.Error as err:
                self._raise_alarm(err)

    def audit_rows(self, since_id: int = 0) -> list[tuple[int, float, str, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT id, at, kind, detail FROM audit WHERE id > ? ORDER BY id", (since_id,))
            return [(i, at, k, json.loads(d)) for i, at, k, d in rows]

    def export(self, pending_only: bool = False) -> Iterator[QueuedEvent]:
        where = "WHERE delivered_at IS NULL" if pending_only else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT event_id, kind, payload, created_at FROM events {where} ORDER BY id"
            ).fetchall()
            spilled = self._spill.events()
        for eid, kind, payload, created in rows:
            yield QueuedEvent(eid, kind, bytes(payload), created)
        yield from spilled

    def stats(self) -> OutboxStats:
        with self._lock:
            c = stored_counts(self._db)
            spill = self._spill.events()
        oldest_all = [t for t in [c.oldest_pending_at, *(s.created_at for s in spill)] if t is not None]
        return OutboxStats(
            pending_hits=c.pending_hits + sum(s.kind == "hit" for s in spill),
            pending_reads=c.pending_reads + sum(s.kind == "read" for s in spill),
            pending_bytes=c.pending_bytes + sum(len(s.payload) for s in spill),
            oldest_pending_age_s=(self._clock() - min(oldest_all)) if oldest_all else None,
            stored_bytes=self._bytes,
            delivered_kept=c.delivered_kept,
            evicted_reads=c.evicted_reads + self._spill.evicted_reads,
            expired_reads=c.expired_reads,
            in_memory=len(spill),
            disk_full=self.disk_full,
            last_error=self.last_error,
            reserve_held=self.reserve is not None and self.reserve.held,
        )

    def close(self) -> tuple[int, int]:
        """Write what is held in memory if the disk lets us, then close. Returns the (hits, reads) lost."""
        with self._lock:
            self._flush_spill_locked()
            lost = (self._spill.count("hit"), self._spill.count("read"))
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
        return lost
