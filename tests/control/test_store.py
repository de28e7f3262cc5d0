"""The store on real SQLite files and a real PostgreSQL server (same tests, both backends)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers.uplink import make_event

from anpr.control.ingest import EventRow, Quarantined, StatusRow, ingest, load_validator
from anpr.control.query import EventFilter
from anpr.control.store import Store, open_store
from anpr.control.store_connect import StoreError
from anpr.uplink.wire import event_to_json

V = load_validator()
T = datetime(2024, 5, 17, 14, 30, tzinfo=timezone.utc)


def _row(kind: str = "read", plate: str = "BBCD12", at: datetime = T, device: str = "car-7", **kw: object) -> EventRow:
    ev = make_event(kind, plate=plate, at=at, device=device, **kw)  # type: ignore[arg-type]
    row = ingest("anpr", f"anpr/{device}/{kind}", event_to_json(ev), V)
    assert isinstance(row, EventRow)
    return row


def test_events_are_stored_once_whoever_resends(make_store: Callable[[], Store]) -> None:
    a, b = make_store(), make_store()  # two receivers on one database
    rows = [_row(plate=f"BBCD{i:02d}", at=T + timedelta(seconds=i)) for i in range(20)]
    res = a.add(rows, 1.0)
    assert len(res.stored) == 20 and res.duplicates == 0
    res = b.add([*rows[5:10], _row(plate="ZZZZ99")], 2.0)  # a car re-sent five after a restart
    assert [r.plate for r in res.stored] == ["ZZZZ99"] and res.duplicates == 5
    assert sorted(a.event_ids()) == sorted({r.event_id for r in rows} | {res.stored[0].event_id})
    assert a.counts()["reads"] == 21


def test_hits_keep_crop_and_reason(make_store: Callable[[], Store]) -> None:
    s = make_store()
    hit = _row("hit", crop=b"\xff\xd8crop\xff\xd9")
    s.add([hit], 5.0)
    [got] = s.events(EventFilter(kind="hit"))
    assert (got["plate"], got["reason"], got["has_crop"], got["final"]) == ("BBCD12", "stolen", True, True)
    assert s.crop(hit.event_id) == b"\xff\xd8crop\xff\xd9"
    assert s.crop("nope") is None


def test_filters_plate_time_area(make_store: Callable[[], Store]) -> None:
    s = make_store()
    rows = [
        _row(plate="BBCD12", at=T),
        _row(plate="BBCF12", at=T + timedelta(minutes=10)),
        _row(plate="XYZW34", at=T + timedelta(minutes=20)),
        _row(plate="BBCD19", at=T + timedelta(minutes=30), with_fix=False),
    ]
    s.add(rows, 1.0)

    def plates(**kw: object) -> list[str]:
        return [r["plate"] for r in s.events(EventFilter(**kw))]  # type: ignore[arg-type]

    assert plates(plate="BBC?12") == ["BBCF12", "BBCD12"]
    assert plates(plate="BB*") == ["BBCD19", "BBCF12", "BBCD12"]
    assert plates(plate="bbcd*") == ["BBCD19", "BBCD12"]
    assert plates(since=(T + timedelta(minutes=5)).timestamp(), until=(T + timedelta(minutes=25)).timestamp()) == [
        "XYZW34",
        "BBCF12",
    ]
    assert plates(bbox=(-71.26, -29.91, -71.25, -29.90)) == ["XYZW34", "BBCF12", "BBCD12"]  # the fix-less one is out
    assert plates(bbox=(-70.0, -29.0, -69.0, -28.0)) == []
    assert plates(limit=1) == ["BBCD19"]


def test_quarantine_and_car_status(make_store: Callable[[], Store]) -> None:
    s = make_store()
    bad = Quarantined("anpr/car-7/read", b"\x00\xffnot json", "not JSON: ...")
    online = json.dumps({"state": "online", "outbox": {"pending_hits": 1, "pending_reads": 4}})
    res = s.add([bad, StatusRow("car-7", "online", online)], 100.0)
    assert (res.quarantined, res.statuses) == (1, 1)
    [q] = s.quarantine()
    assert (q["topic"], q["payload"], q["reason"]) == ("anpr/car-7/read", b"\x00\xffnot json", "not JSON: ...")
    # The newest event sets the car's place; an older one re-sent later does not move it back.
    s.add([_row(at=T + timedelta(minutes=5))], 101.0)
    s.add([_row(at=T, with_fix=True, device="car-7")], 102.0)
    [car] = s.cars()
    assert car["state"] == "online" and car["last_event_at"] == (T + timedelta(minutes=5)).timestamp()
    assert car["last_heard"] == 102.0 and car["hotlist_version"] == 41
    s.add([StatusRow("car-7", "offline", '{"state":"offline"}')], 103.0)
    assert s.cars()[0]["state"] == "offline"


def test_hotlists_are_recorded(make_store: Callable[[], Store]) -> None:
    s = make_store()
    s.record_hotlist("robados", 7, "snapshot", "2024-05-17T14:00:00+00:00", 50.0, "abc", 12, "f" * 64)
    s.record_hotlist("robados", 7, "snapshot", "2024-05-17T14:00:00+00:00", 60.0, "abc", 12, "f" * 64)
    [h] = s.hotlists()
    assert (h["version"], h["published_at"], h["entries"]) == (7, 60.0, 12)


def test_unreachable_database_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError, match="cannot open SQLite database"):
        open_store("sqlite:////proc/no/such/dir/x.sqlite")


def test_retention_deletes_by_arrival_age_per_kind(make_store: Callable[[], Store]) -> None:
    from anpr.control.config import RetentionConfig
    from anpr.control.retention import DAY, purge_once

    s = make_store()
    now = 1_800_000_000.0
    hit = _row("hit", plate="BBCD02")
    s.add([_row("read", plate="BBCD01"), hit], now - 40 * DAY)  # arrived 40 days ago
    s.add([_row("read", plate="BBCD03"), _row("hit", plate="BBCD04", at=T + timedelta(seconds=1))], now - 10 * DAY)
    s.add([Quarantined("anpr/car-7/read", b"{", "not JSON")], now - 31 * DAY)
    s.execute("INSERT INTO reviews VALUES (?, ?, 'confirmed', 'recovered', 'ana', ?)",
              (hit.device_id, hit.passage_id, now - 39 * DAY))  # fmt: skip
    cfg = RetentionConfig(reads_days=30, hits_days=365, quarantine_days=30)
    assert purge_once(s, cfg, now) == {"reads": 1, "hits": 0, "quarantine": 1, "reviews": 0}
    assert sorted(r["plate"] for r in s.events(EventFilter())) == ["BBCD02", "BBCD03", "BBCD04"]
    assert s.counts()["quarantined"] == 0
    assert purge_once(s, cfg, now + 400 * DAY) == {"reads": 1, "hits": 2, "quarantine": 0, "reviews": 1}
    assert s.counts()["reads"] == s.counts()["hits"] == 0


def test_retention_job_purges_at_start_and_stops(make_store: Callable[[], Store]) -> None:
    import time

    from anpr.control.config import RetentionConfig
    from anpr.control.retention import DAY, Retention

    s = make_store()
    s.add([_row("read", plate="BBCD01")], time.time() - 31 * DAY)
    job = Retention(s, RetentionConfig(reads_days=30))
    job.start()
    deadline = time.monotonic() + 10
    while job.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    job.stop()
    assert job.runs >= 1 and s.counts()["reads"] == 0


def test_passages_group_the_early_hit_and_the_final_event(make_store: Callable[[], Store]) -> None:
    from anpr.control.passages import list_passages, passage, review
    from anpr.control.users import audit_log

    s = make_store()
    early = make_event("hit", plate="BBCD12", at=T)
    early = dataclasses.replace(early, final=False)
    final = dataclasses.replace(early, event_id=early.event_id[:-4] + "beef", final=True, confidence=0.97,
                                last_seen=T + timedelta(seconds=3))  # fmt: skip
    rows = [ingest("anpr", "anpr/car-7/hit", event_to_json(ev), V) for ev in (early, final)]
    other = _row("read", plate="KTBR24", at=T + timedelta(seconds=9))
    s.add([*rows, other], 1.0)  # type: ignore[list-item]
    got = list_passages(s, EventFilter(kind="hit"))
    assert len(got) == 1 and got[0]["passage_id"] == early.passage_id
    assert [e["final"] for e in got[0]["events"]] == [False, True] and got[0]["confidence"] == 0.97
    assert got[0]["reason"] == "stolen" and got[0]["events"][0]["entry"]["list_name"] == "robados"
    assert len(list_passages(s, EventFilter())) == 2  # the read is a passage of its own
    key = (early.device_id, early.passage_id)
    with pytest.raises(ValueError, match="say why"):
        review(s, key, {"decision": "dismissed", "note": " "}, "ana", None)
    with pytest.raises(ValueError, match="decision"):
        review(s, key, {"decision": "maybe"}, "ana", None)
    with pytest.raises(LookupError):
        review(s, ("car-7", other.passage_id), {"decision": "confirmed"}, "ana", None)  # a read is no hit
    review(s, key, {"decision": "dismissed", "note": "another car, same letters"}, "ana", "10.0.0.5")
    review(s, key, {"decision": "confirmed", "note": "checked again: it is the stolen car"}, "jefe", None)
    p = passage(s, *key)
    assert p is not None and p["review"]["decision"] == "confirmed" and p["review"]["user"] == "jefe"
    assert list_passages(s, EventFilter(kind="hit"), unreviewed=True) == []
    trail = [(a["user_name"], a["action"]) for a in audit_log(s)]
    assert trail == [("jefe", "hit-confirmed"), ("ana", "hit-dismissed")]  # every decision, newest first


def test_an_older_database_gets_passage_ids_from_its_payloads(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "old.sqlite"
    s = open_store(f"sqlite:///{db}")
    row = _row("hit")
    s.add([row], 1.0)
    s.close()
    con = sqlite3.connect(db)  # as a database made before events had passage_id
    con.execute("DROP INDEX events_passage")
    con.execute("ALTER TABLE events DROP COLUMN passage_id")
    con.commit()
    con.close()
    s = open_store(f"sqlite:///{db}")
    try:
        assert s.events(EventFilter())[0]["passage_id"] == row.passage_id
    finally:
        s.close()
