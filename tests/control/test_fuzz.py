"""Fuzzing the receiver (issue 17 A): random bytes and mutated valid events and statuses, published to a real
mosquitto, through the real `Receiver`, into SQLite and PostgreSQL.

After every case a valid hit is published and must be stored within a second; every fuzzed message must
be stored, quarantined, a duplicate, a status, or a cleared status (empty retained message): none lost,
the writer never dies, nothing is dropped. Totals are printed (run with -s to read them).
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from helpers.control import Car, Postgres
from helpers.uplink import MOSQUITTO, Mosquitto, make_event, wait_until
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anpr.control.config import BrokerConfig
from anpr.control.receiver import Receiver
from anpr.control.store import Store, open_store
from anpr.uplink.wire import event_to_dict, event_to_json

pytestmark = pytest.mark.slow
CASES = 250  # per database; each case is two QoS 1 round trips through the broker

HOSTILE_STRINGS = ["", "\x00", "\ud800", "<img src=x onerror=alert(1)>", "=HYPERLINK(\"http://x\")",
                   "2026-13-45T99:99:99Z", "9999-12-31T23:59:59Z", "0000-00-00T00:00:00Z", "x" * 5000,
                   "ñandú", "\u202e", "car-7", "car-8", "lots"]  # fmt: skip
hostile_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.sampled_from(HOSTILE_STRINGS), st.text(max_size=40),
        st.integers(min_value=-(1 << 80), max_value=1 << 80), st.floats(allow_nan=True, allow_infinity=True),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)  # fmt: skip


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A valid document with one to three fields replaced, deleted or added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if op == "replace":
            parent[path[-1]] = draw(hostile_values)
        elif op == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(hostile_values)
    return doc


def _status() -> dict[str, Any]:
    return {
        "state": "online", "device_id": "car-7", "at": "2024-05-17T14:30:00Z",
        "outbox": {"pending_hits": 0, "pending_reads": 3, "oldest_age_s": 1.5, "evicted_reads": 0, "disk_full": False},
        "cameras": {"front": {"fps": 24.0, "connected": True}}, "models": {"detector": "yolo-1", "reader": "ppocr-2"},
        "hotlist": {"version": 42, "age_s": 60.0, "stale": False, "entries": 10},
        "fix": {"source": "gpsd", "connected": True, "fix_age_s": 0.3},
    }  # fmt: skip


def _encode(doc: Any, how: str) -> bytes:
    text = json.dumps(doc, allow_nan=True)  # NaN/Infinity as Python writes them: not JSON, must be refused
    return text.encode("utf-16") if how == "utf-16" else text.encode("utf-8", "surrogatepass")


@st.composite
def fuzz_message(draw: st.DrawFn) -> tuple[str, bytes]:
    leaf = draw(st.sampled_from(["hit", "read", "status"]))
    kind = draw(st.sampled_from(["bytes", "mutated", "mutated", "mutated", "valid", "deep"]))
    if kind == "bytes":
        return leaf, draw(st.binary(max_size=600))
    if kind == "deep":
        return leaf, draw(st.sampled_from([b"[", b'{"a":'])) * draw(st.integers(20, 200_000))
    base = _status() if leaf == "status" else event_to_dict(make_event(leaf, device="car-7", crop=CROP))
    doc = base if kind == "valid" else draw(mutated(base))
    return leaf, _encode(doc, draw(st.sampled_from(["utf-8"] * 5 + ["utf-16"])))


TALLY: Counter[str] = Counter()
CROP = b"\xff\xd8" + bytes(range(256)) * 40 + b"\xff\xd9"  # 10 KiB: a real crop's size, over the string cap


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def rig(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Receiver, Store, Car]]:
    if MOSQUITTO is None:
        pytest.skip("mosquitto not installed (apt-get install mosquitto)")
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    pg: Postgres | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'control.sqlite'}"
    else:
        pg = Postgres()
        why = pg.start()
        if why is not None:
            pytest.skip(f"PostgreSQL cannot run here: {why}")
        url = pg.create_db("fuzz")
    broker = Mosquitto(tmp)
    broker.start()
    store = open_store(url)
    rx = Receiver(BrokerConfig(host="127.0.0.1", port=broker.port), store, client_id=f"fuzz-{broker.port}")
    rx.start()
    assert rx.connected.wait(10)
    car = Car(broker.port)
    yield rx, store, car
    tally = {k: v for k, v in TALLY.items() if k.startswith(request.param)}
    print(f"\nfuzz {request.param}: {tally}")
    car.close()
    rx.stop()
    store.close()
    broker.stop()
    if pg is not None:
        pg.stop()


@settings(max_examples=CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
          HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(msg=fuzz_message())
def test_no_message_stops_storing(rig: tuple[Receiver, Store, Car], msg: tuple[str, bytes]) -> None:
    rx, store, car = rig
    db = store.dialect
    leaf, payload = msg
    before = dict(rx.counts)
    car.send(f"anpr/car-7/{leaf}", payload)
    sentinel = make_event("hit", device="car-7")
    car.send("anpr/car-7/hit", event_to_json(sentinel))
    t0 = time.monotonic()
    assert wait_until(lambda: rx.counts["received"] >= before["received"] + 2, 1.0), rx.last_error
    assert sentinel.event_id in store.event_ids(), "the valid hit after the case was not stored"
    assert time.monotonic() - t0 <= 1.0
    d = {k: rx.counts[k] - before[k] for k in before}
    assert rx.writer_alive and d["dropped"] == 0 and d["writer_restarts"] == 0
    # the sentinel is one stored hit; the fuzzed message is the rest
    accounted = d["stored"] - 1 + d["duplicates"] + d["quarantined"] + d["statuses"]
    cleared = leaf == "status" and payload == b""
    assert accounted + cleared == 1, d
    TALLY[f"{db} cases"] += 1
    TALLY[f"{db} stored"] += d["stored"] - 1 + d["statuses"]
    TALLY[f"{db} quarantined"] += d["quarantined"]
    TALLY[f"{db} duplicates"] += d["duplicates"]
    TALLY[f"{db} cleared"] += cleared
