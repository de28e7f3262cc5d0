"""The outbox on a real SQLite file: durability, order, acks, the byte bound, retention, audit, full disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers.uplink import make_event

from anpr.uplink.outbox import Outbox
from anpr.uplink.wire import event_to_json


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def put_events(box: Outbox, kinds: str, clock: Clock | None = None) -> list[str]:
    ids = []
    for k in kinds:
        ev = make_event("hit" if k == "H" else "read")
        assert box.put(ev.event_id, ev.kind, event_to_json(ev))
        ids.append(ev.event_id)
        if clock is not None:
            clock.t += 1
    return ids


def test_wal_full_sync_and_survives_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    ids = put_events(box, "RHR")
    box._db.close()  # no checkpoint, like a crash: the WAL must carry the commits
    again = Outbox(tmp_path / "o.sqlite")
    assert {q.event_id for q in again.pending(10)} == set(ids)


def test_hits_first_then_oldest_and_exclude(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "o.sqlite", clock=clock)
    r1, h1, r2, h2 = put_events(box, "RHRH", clock)
    assert [q.event_id for q in box.pending(10)] == [h1, h2, r1, r2]
    assert [q.event_id for q in box.pending(2, exclude={h1})] == [h2, r1]


def test_ack_removes_from_pending_and_is_idempotent(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    r1, h1 = put_events(box, "RH")
    box.ack([h1, h1, "not-an-id"])
    assert [q.event_id for q in box.pending(10)] == [r1]
    st = box.stats()
    assert (st.pending_hits, st.pending_reads, st.delivered_kept) == (0, 1, 1)
    ev = make_event("read")
    box.put(ev.event_id, "read", event_to_json(ev))
    box.put(ev.event_id, "read", event_to_json(ev))  # resubmission is a no-op
    assert box.stats().pending_reads == 2


def test_bound_evicts_oldest_reads_never_hits(tmp_path: Path) -> None:
    size = len(event_to_json(make_event("read")))
    box = Outbox(tmp_path / "o.sqlite", max_bytes=size * 10)
    ids = put_events(box, "HRRRRRHRRRRRRRRRHHRRRR")  # 5 hits, 17 reads
    pending = {q.event_id for q in box.pending(100)}
    hits = {i for i, k in zip(ids, "HRRRRRHRRRRRRRRRHHRRRR", strict=True) if k == "H"}
    assert hits <= pending
    st = box.stats()
    assert st.stored_bytes <= size * 10 + 50
    assert st.evicted_reads == 22 - len(pending)
    assert st.evicted_reads > 0
    reads_left = [i for i, k in zip(ids, "HRRRRRHRRRRRRRRRHHRRRR", strict=True) if k == "R" and i in pending]
    all_reads = [i for i, k in zip(ids, "HRRRRRHRRRRRRRRRHHRRRR", strict=True) if k == "R"]
    assert reads_left == all_reads[-len(reads_left) :]  # the newest reads survive


def test_bound_prefers_delivered_reads(tmp_path: Path) -> None:
    size = len(event_to_json(make_event("read")))
    box = Outbox(tmp_path / "o.sqlite", max_bytes=size * 4)
    ids = put_events(box, "RRRR")
    box.ack(ids[:2])
    put_events(box, "RR")
    assert box.stats().evicted_reads == 0  # the two delivered reads made room
    assert box.stats().pending_reads == 4


def test_retention_purge(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "o.sqlite", read_retention_s=7 * 86400, hit_retention_s=30 * 86400, clock=clock)
    old_read, old_hit, undelivered_hit = put_events(box, "RHH")
    box.ack([old_read, old_hit])
    clock.t += 8 * 86400
    (new_read,) = put_events(box, "R")
    assert box.purge() == 1  # the old read only
    assert {q.event_id for q in box.export()} == {old_hit, undelivered_hit, new_read}
    clock.t += 30 * 86400
    assert box.purge() == 2  # the delivered hit and the now-old undelivered read; never an undelivered hit
    assert [q.event_id for q in box.export()] == [undelivered_hit]
    assert box.stats().expired_reads == 1


def test_audit_is_append_only(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    box.audit("hotlist", {"version": 3, "added": 10})
    box.audit("hit", {"plate": "BBCD12"})
    rows = box.audit_rows()
    assert [(k, d) for _, _, k, d in rows] == [("hotlist", {"added": 10, "version": 3}), ("hit", {"plate": "BBCD12"})]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        box._db.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        box._db.execute("UPDATE audit SET kind = 'x'")


def test_audit_records_leave_only_by_retention(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "o.sqlite", audit_retention_s=180 * 86400, clock=clock)
    box.audit("hit", {"plate": "BBCD12"})
    clock.t += 100 * 86400
    box.audit("alert", {"plate": "KZGS97"})
    box.purge()
    assert [d["plate"] for *_, d in box.audit_rows()] == ["BBCD12", "KZGS97"]  # neither is 180 days old
    clock.t += 81 * 86400
    box.purge()
    assert [d["plate"] for *_, d in box.audit_rows()] == ["KZGS97"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # a recent record still cannot go
        box._db.execute("DELETE FROM audit")
    box.close()
    # A database made before retention existed (blanket no-delete trigger) is migrated on open.
    old = sqlite3.connect(tmp_path / "old.sqlite")
    old.executescript(
        "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,"
        " detail TEXT NOT NULL);"
        "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
        "INSERT INTO audit (at, kind, detail) VALUES (0, 'hit', '{\"plate\": \"BBCD12\"}');"
    )
    old.close()
    migrated = Outbox(tmp_path / "old.sqlite", audit_retention_s=86400, clock=clock)
    migrated.purge()
    assert migrated.audit_rows() == []
    migrated.close()


def test_full_database_spills_hits_to_memory_and_recovers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A page-capped database stands in for a full disk here; test_drills.py does it with a real tmpfs.
    box = Outbox(tmp_path / "o.sqlite", max_pages=12, spill_max=100)
    ids, durable = [], []
    for i in range(60):
        ev = make_event("hit" if i % 3 == 0 else "read")
        durable.append(box.put(ev.event_id, ev.kind, event_to_json(ev)))
        ids.append(ev.event_id)
    assert not all(durable)
    assert box.disk_full
    assert "ALARM" in caplog.text
    st = box.stats()
    assert st.in_memory > 0
    assert st.pending_hits + st.pending_reads == 60  # nothing lost
    pend = box.pending(100)
    assert {q.event_id for q in pend} == set(ids)
    assert all(q.kind == "hit" for q in pend[:20])
    box.ack([q.event_id for q in pend[:5]])  # spilled hits can be delivered from memory
    box._db.execute("PRAGMA max_page_count=100000")  # space is freed
    assert box.retry_spill() == 0
    assert not box.disk_full
    assert {q.event_id for q in box.pending(100)} == set(ids) - {q.event_id for q in pend[:5]}
