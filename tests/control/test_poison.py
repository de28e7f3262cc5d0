"""Poison messages (issue 17 A): each one is stored or quarantined once with its reason, and storing goes on.

The payloads are the ones an attacker used against `anpr control serve`: a UTF-16 status, a date that does
not exist, 200 000 nested brackets, a lone surrogate, NaN, NUL, a status with a string for a count.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.control import Car, Postgres
from helpers.uplink import Mosquitto, make_event, wait_until

from anpr.control.config import BrokerConfig
from anpr.control.export import car_view
from anpr.control.ingest import Quarantined, StatusRow, ingest, load_validator, status_validator
from anpr.control.receiver import Receiver
from anpr.control.store import Store, open_store
from anpr.uplink.wire import event_to_dict, event_to_json

V = load_validator()


def _event(**changes: Any) -> bytes:
    d = event_to_dict(make_event("hit", device="car-7"))
    for k, v in changes.items():
        if "/" in k:
            outer, inner = k.split("/")
            d[outer][inner] = v
        else:
            d[k] = v
    return json.dumps(d).encode()


POISON: list[tuple[str, str, bytes, str]] = [
    # (name, leaf, payload, what the reason says)
    ("utf-16 status", "status", '{"state":"online","device_id":"car-7"}'.encode("utf-16"), "not UTF-8"),
    ("bad last_seen", "hit", _event(last_seen="2026-13-45T99:99:99Z"), "last_seen"),
    ("bad fix time", "hit", _event(**{"fix/fixed_at": "2024-02-30T10:00:00Z"}), "fix/fixed_at"),
    ("200 000 [", "hit", b"[" * 200_000, "nested deeper"),
    ("lone surrogate", "hit", _event(camera_id="front").replace(b'"front"', b'"\\ud800"'), "lone surrogate"),
    ("NaN confidence", "hit", _event(confidence=0.5).replace(b'"confidence": 0.5', b'"confidence": NaN'), "NaN"),
    ("1e400 lat", "hit", _event(**{"fix/lat": 1.0}).replace(b'"lat": 1.0', b'"lat": 1e400'), "not finite"),
    ("NUL camera", "hit", _event(camera_id="fr\x00nt"), "NUL"),
    ("huge priority", "hit", b"", "priority"),
    ("huge version", "hit", _event(hotlist_version=1 << 70), "64-bit"),
    ("BOM", "hit", b"\xef\xbb\xbf" + _event(), "byte order mark"),
    ("lots pending", "status", b'{"state":"online","device_id":"car-7","outbox":{"pending_hits":"lots"}}', "outbox"),
    ("html version", "status", b'{"state":"online","hotlist":{"version":"<img src=x onerror=alert(1)>"}}', "hotlist"),
    ("NUL status", "status", b'{"state":"online","fix":{"source":"gps\\u0000"}}', "NUL"),
]


def _huge_priority() -> bytes:
    d = event_to_dict(make_event("hit", device="car-7"))
    d["match"]["entry"]["priority"] = 1 << 40
    return json.dumps(d).encode()


POISON = [(n, leaf, _huge_priority() if n == "huge priority" else p, r) for n, leaf, p, r in POISON]


@pytest.mark.parametrize(("name", "leaf", "payload", "reason"), POISON, ids=[p[0] for p in POISON])
def test_each_poison_is_quarantined_with_its_reason(name: str, leaf: str, payload: bytes, reason: str) -> None:
    q = ingest("anpr", f"anpr/car-7/{leaf}", payload, V)
    assert isinstance(q, Quarantined), name
    assert reason in q.reason
    q.reason.encode("utf-8")  # the reason itself must be storable
    assert "\x00" not in q.reason


def test_a_real_car_status_passes_the_published_schema(tmp_path: Path, broker: Mosquitto) -> None:
    """The uplink's own payload (outbox from a real outbox) with the fields anpr.app.status.uplink_status adds."""
    from datetime import datetime, timezone

    from anpr.app.status import position_of
    from anpr.gps.base import GpsStatus
    from anpr.types import Fix
    from anpr.uplink.config import UplinkConfig
    from anpr.uplink.sink import UplinkSink, build_uplink

    fix = Fix(-29.9027, -71.2519, 13.5, 359.96, 0.9, "3d", datetime.now(timezone.utc), "gpsd", age_s=0.2)
    gps = GpsStatus("gpsd:127.0.0.1:2947", True, fix, 0.4, 10, 0, 10, 0, 0, None, False)
    extra = {
        "cameras": {"front": {"fps": 24.5, "connected": True, "passages": 12, "hits": 1},
                    "rear": {"fps": None, "connected": None}},
        "models": {"detector": "yolo-1", "reader": "ppocr-2"},
        "hotlist": {"version": 42, "age_s": 61.5, "stale": False, "entries": 1200},
        "fix": {"source": "gpsd", "connected": True, "fix_age_s": 0.4},
        "position": position_of(gps),
    }  # fmt: skip
    cfg = UplinkConfig(enabled=True, host="127.0.0.1", port=broker.port, alert_log=False)
    sink = build_uplink(cfg, "car-7", tmp_path / "state", lambda: extra)
    assert isinstance(sink, UplinkSink) and sink.publisher is not None
    try:
        for state in ("online", "offline"):
            payload = sink.publisher._status_payload(state)
            st = ingest("anpr", "anpr/car-7/status", payload, V)
            assert isinstance(st, StatusRow), getattr(st, "reason", None)
        body = json.loads(sink.publisher._status_payload("online"))
        assert status_validator().reason(body) is None
        assert body["position"]["heading_deg"] == 0.0 and body["position"]["fixed_at"].endswith("Z")
        view = car_view({"device_id": "car-7", "state": "online", "status": json.dumps(body), "last_heard": 1.0}, [],
                        fix.fixed_at.timestamp() + 5, 120.0)  # fmt: skip
        assert view["fix"]["lat"] == -29.9027 and view["fix"]["age_s"] == 5 and view["hits"] == 1
    finally:
        sink.close(1)


def test_cars_survive_a_bad_status_stored_before_validation() -> None:
    bad = json.dumps({"state": "online", "outbox": {"pending_hits": "lots"}, "fix": {"source": "gpsd"}})
    row = {"device_id": "car-7", "state": "online", "status": bad, "last_heard": 1000.0, "last_lat": None}
    view = car_view(row, [], 1010.0, 120.0)
    assert view["status_refused"] is True and view["outbox_depth"] is None and view["state"] == "online"


def test_a_crop_may_be_longer_than_other_strings() -> None:
    crop = bytes(range(256)) * 64  # 16 KiB, 22 K characters of base64
    ev = ingest("anpr", "anpr/car-7/hit", event_to_json(make_event("hit", device="car-7", crop=crop)), V)
    assert not isinstance(ev, Quarantined) and ev is not None and ev.crop == crop  # type: ignore[union-attr]
    long_camera = _event(camera_id="x" * 5000)
    q = ingest("anpr", "anpr/car-7/hit", long_camera, V)
    assert isinstance(q, Quarantined) and "camera_id" in q.reason


def test_every_poison_row_stores_in_both_databases(make_store: Callable[[], Store]) -> None:
    store = make_store()
    items = [ingest("anpr", f"anpr/car-7/{leaf}", p, V) for _n, leaf, p, _r in POISON]
    res = store.add([it for it in items if it is not None], time.time())
    assert res.quarantined == len(POISON) and not res.stored
    assert len(store.quarantine(1000)) == len(POISON)


# -- through the real receiver ---------------------------------------------------------------------------


@pytest.fixture
def running(make_store: Callable[[], Store], broker: Mosquitto) -> Iterator[tuple[Receiver, Store, Car]]:
    store = make_store()
    rx = Receiver(BrokerConfig(host="127.0.0.1", port=broker.port), store, client_id=f"rx-{broker.port}")
    rx.start()
    assert rx.connected.wait(10)
    car = Car(broker.port)
    yield rx, store, car
    car.close()
    rx.stop()


def _stored(store: Store, event_id: str) -> bool:
    return event_id in store.event_ids()


def test_poison_then_a_valid_hit_is_stored_within_a_second(running: tuple[Receiver, Store, Car]) -> None:
    rx, store, car = running
    for name, leaf, payload, _reason in POISON:
        car.send(f"anpr/car-7/{leaf}", payload)
        ev = make_event("hit", device="car-7")
        t0 = time.monotonic()
        car.send("anpr/car-7/hit", event_to_json(ev))
        assert wait_until(lambda: _stored(store, ev.event_id), 1.0), (name, rx.last_error)  # noqa: B023
        assert time.monotonic() - t0 < 1.5
    assert rx.writer_alive and rx.counts["dropped"] == 0
    assert rx.counts["quarantined"] == len(POISON)
    assert len(store.quarantine(1000)) == len(POISON)


def test_a_row_the_database_refuses_is_quarantined_and_the_rest_of_the_batch_stored(
    running: tuple[Receiver, Store, Car],
) -> None:
    """A real database refusal, on demand: a trigger (SQLite) or a CHECK constraint (PostgreSQL) on one plate."""
    rx, store, car = running
    if store.dialect == "sqlite":
        lite = sqlite3.connect(store.url[len("sqlite:///") :])
        lite.execute("CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.plate = 'PZ0000' "
                    "BEGIN SELECT RAISE(ABORT, 'poison plate'); END")  # fmt: skip
        lite.commit()
        lite.close()
    else:
        import psycopg

        with psycopg.connect(store.url, autocommit=True) as con:
            con.execute("ALTER TABLE events ADD CONSTRAINT poison CHECK (plate <> 'PZ0000')")
    evs = [make_event("read", device="car-7", plate=p) for p in ("BBCD10", "PZ0000", "BBCD11")]
    for ev in evs:
        car.send("anpr/car-7/read", event_to_json(ev))
    assert wait_until(lambda: _stored(store, evs[0].event_id) and _stored(store, evs[2].event_id), 5), rx.last_error
    assert wait_until(lambda: rx.counts["quarantined"] == 1, 2)
    (q,) = store.quarantine(10)
    assert "database refused it" in q["reason"] and "PZ0000" in q["payload"].decode()
    assert rx.counts["errors"] >= 1 and rx.last_error is None  # counted, logged, and storing went on
    assert not _stored(store, evs[1].event_id) and rx.writer_alive
    # acknowledged once: not delivered again after a reconnect
    rx.client.reconnect()
    ev = make_event("hit", device="car-7")
    car.send("anpr/car-7/hit", event_to_json(ev))
    assert wait_until(lambda: _stored(store, ev.event_id), 5)
    assert len(store.quarantine(10)) == 1


@pytest.mark.slow
def test_a_database_outage_shows_and_nothing_is_lost(broker: Mosquitto) -> None:
    """A real PostgreSQL stopped and started again under the receiver: the failure shows in the counters
    and `last_error`, nothing is acknowledged meanwhile, and everything is stored once it is back."""
    pg = Postgres()
    why = pg.start()
    if why is not None:
        pytest.skip(f"PostgreSQL cannot run here: {why}")
    store = open_store(pg.create_db("outage"))
    rx = Receiver(BrokerConfig(host="127.0.0.1", port=broker.port), store, client_id=f"rx-outage-{broker.port}")
    rx.start()
    car = Car(broker.port)
    try:
        assert rx.connected.wait(10)
        before = make_event("hit", device="car-7")
        car.send("anpr/car-7/hit", event_to_json(before))
        assert wait_until(lambda: _stored(store, before.event_id), 5)
        pg.pause()
        during = [make_event("read", device="car-7", plate=f"BBCD{i:02d}") for i in range(5)]
        for ev in during:
            car.send("anpr/car-7/read", event_to_json(ev))
        assert wait_until(lambda: rx.counts["errors"] >= 2 and (rx.last_error or "").startswith("database"), 10)
        assert rx.writer_alive and rx.counts["stored"] == 1 and rx.counts["quarantined"] == 0
        assert pg.resume() is None
        assert wait_until(lambda: all(_stored(store, ev.event_id) for ev in during), 40), rx.last_error
        assert rx.last_error is None and rx.counts["quarantined"] == 0 and rx.counts["dropped"] == 0
    finally:
        car.close()
        rx.stop()
        store.close()
        pg.stop()
