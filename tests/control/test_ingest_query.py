"""Pure parts: what a message becomes, filters, exports, config."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from helpers.uplink import make_event

from anpr.app.config import ConfigError
from anpr.control.config import control_from_dict
from anpr.control.export import car_view, to_csv, to_geojson
from anpr.control.ingest import EventRow, Quarantined, StatusRow, ingest, load_validator
from anpr.control.query import filter_from_params, parse_bbox, plate_like, where_clause
from anpr.uplink.wire import event_to_dict, event_to_json

V = load_validator()


def test_a_valid_hit_becomes_a_row_with_its_crop_and_place() -> None:
    ev = make_event("hit", plate="BBCD12", crop=b"\xff\xd8jpeg\xff\xd9", device="car-7")
    row = ingest("anpr", "anpr/car-7/hit", event_to_json(ev), V)
    assert isinstance(row, EventRow)
    assert (row.event_id, row.kind, row.plate, row.device_id) == (ev.event_id, "hit", "BBCD12", "car-7")
    assert row.crop == b"\xff\xd8jpeg\xff\xd9"
    assert (row.lat, row.lon) == (-29.9027, -71.2519)
    assert (row.reason, row.match_kind, row.list_name, row.priority) == ("stolen", "exact", "robados", 1)
    assert row.ts == pytest.approx(ev.last_seen.timestamp())
    assert "crop_jpeg" not in json.loads(row.payload)  # the crop is kept once, as bytes


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("anpr/car-7/read", b"{not json", "not JSON"),
        ("anpr/car-7/read", b"[1, 2]", "not a JSON object"),
        ("anpr/car-7/read", b'{"schema": "anpr.plate-event/1"}', "schema: (top level)"),
        ("anpr/car-7/hit", b"READ", "a read event on a /hit topic"),
        ("anpr/car-9/read", b"READ", "device_id 'car-7' on the topic of device 'car-9'"),
        ("anpr/car-7/extra/read", b"READ", "unexpected topic"),
        ("anpr/car-7/status", b'{"state": "dancing"}', "neither online nor offline"),
    ],
)
def test_bad_payloads_are_quarantined_with_the_reason(topic: str, payload: bytes, reason: str) -> None:
    if payload == b"READ":
        payload = event_to_json(make_event("read", device="car-7"))
    q = ingest("anpr", topic, payload, V)
    assert isinstance(q, Quarantined)
    assert reason in q.reason
    assert q.payload == payload and q.topic == topic


def test_schema_violations_name_the_field() -> None:
    d = event_to_dict(make_event("read", device="car-7"))
    d["plate"] = "bb-cd-12"
    q = ingest("anpr", "anpr/car-7/read", json.dumps(d).encode(), V)
    assert isinstance(q, Quarantined) and q.reason.startswith("schema: plate:")
    d = event_to_dict(make_event("hit", device="car-7"))
    d["match"] = None  # a hit without its match
    q = ingest("anpr", "anpr/car-7/hit", json.dumps(d).encode(), V)
    assert isinstance(q, Quarantined) and "match" in q.reason


def test_oversized_payloads_are_quarantined_truncated() -> None:
    q = ingest("anpr", "anpr/car-7/read", b"x" * 5000, V, max_bytes=1024)
    assert isinstance(q, Quarantined) and "5000 bytes exceeds 1024" in q.reason and len(q.payload) == 4096


def test_status_and_a_cleared_status() -> None:
    st = ingest("anpr", "anpr/car-7/status", b'{"state":"online","device_id":"car-7"}', V)
    assert isinstance(st, StatusRow) and st.state == "online"
    assert ingest("anpr", "anpr/car-7/status", b"", V) is None


def test_plate_patterns() -> None:
    assert plate_like("bb*12") == "BB%12"
    assert plate_like("BBCD?2") == "BBCD_2"
    for bad in ("BB%", "BB_1", "", "B B"):
        with pytest.raises(ValueError, match="plate pattern"):
            plate_like(bad)


def test_filters_from_parameters() -> None:
    f = filter_from_params(
        {"plate": "BB*", "since": "2024-05-17T14:00:00Z", "bbox": "-71.3,-29.95,-71.2,-29.85", "limit": "10"},
        100,
        kind="read",
    )
    assert f.since == datetime(2024, 5, 17, 14, tzinfo=timezone.utc).timestamp()
    where, args = where_clause(f)
    assert where == " WHERE kind = ? AND plate LIKE ? AND ts >= ? AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?"
    assert args == ["read", "BB%", f.since, -71.3, -71.2, -29.95, -29.85]
    with pytest.raises(ValueError, match="bbox"):
        parse_bbox("-71.2,-29.95,-71.3,-29.85")  # west > east
    with pytest.raises(ValueError, match=r"limit 500: expected 1\.\.100"):
        filter_from_params({"limit": "500"}, 100)
    with pytest.raises(ValueError, match="time 'yesterday'"):
        filter_from_params({"until": "yesterday"}, 100)


def _row(lat: float | None) -> dict[str, object]:
    return {
        "event_id": "e1", "kind": "hit", "device_id": "car-7", "camera_id": "front", "plate": "BBCD12",
        "confidence": 0.9, "first_seen": "2024-05-17T14:30:00Z", "last_seen": "2024-05-17T14:30:01Z",
        "lat": lat, "lon": None if lat is None else -71.25, "match_kind": "exact", "reason": "stolen",
        "list_name": "robados", "priority": 1, "hotlist_version": 3, "final": True, "received_at": 1715956201.5,
    }  # fmt: skip


def test_geojson_and_csv() -> None:
    gj = to_geojson([_row(-29.9), _row(None)])
    assert gj["features"][0]["geometry"] == {"type": "Point", "coordinates": [-71.25, -29.9]}
    assert gj["features"][1]["geometry"] is None
    assert gj["features"][0]["properties"]["received_at"] == "2024-05-17T14:30:01.500Z"
    rows = list(csv.DictReader(io.StringIO(to_csv([_row(-29.9)]))))
    assert rows[0]["plate"] == "BBCD12" and rows[0]["lat"] == "-29.9" and rows[0]["reason"] == "stolen"


def test_car_view_online_offline_and_hotlist_age() -> None:
    status = {"state": "online", "outbox": {"pending_hits": 2, "pending_reads": 5}, "hotlist": {"version": 3}}
    row = {"device_id": "car-7", "state": "online", "status": json.dumps(status), "last_heard": 1000.0,
           "last_lat": -29.9, "last_lon": -71.2, "last_event_at": 990.0, "hotlist_version": 2}  # fmt: skip
    issued = datetime.fromtimestamp(400, tz=timezone.utc).isoformat()
    v = car_view(row, [{"version": 3, "issued_at": issued}], now=1010.0, offline_after_s=60)
    assert (v["state"], v["outbox_depth"], v["hotlist_version"], v["hotlist_age_s"]) == ("online", 7, 3, 610)
    assert v["fix"]["lat"] == -29.9
    assert car_view(row, [], now=1100.0, offline_after_s=60)["state"] == "offline"  # silent too long


def test_config_errors_are_clear() -> None:
    with pytest.raises(ConfigError, match="database_url"):
        control_from_dict({"database_url": "mysql://x"})
    with pytest.raises(ConfigError, match="unknown key"):
        control_from_dict({"broker": {"hots": "x"}})
    cfg = control_from_dict({"database_url": "postgresql://u@h/db", "broker": {"shared_group": "room"}})
    assert cfg.broker.shared_group == "room"
