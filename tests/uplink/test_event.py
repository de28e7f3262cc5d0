"""The wire form: UUIDv7 ids, round trips, canonical JSON, and the JSON Schema."""

from __future__ import annotations

import dataclasses
import json
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest
from helpers.uplink import T0, make_event

from anpr.uplink.wire import (
    SCHEMA_ID,
    event_from_dict,
    event_from_json,
    event_id_time,
    event_to_dict,
    event_to_json,
    new_event_id,
)


def test_event_id_is_uuid7_with_time_of_now() -> None:
    eid = new_event_id(T0 + timedelta(days=3650))
    u = uuid.UUID(eid)
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert event_id_time(eid) == (T0 + timedelta(days=3650)).replace(microsecond=123000)


def test_event_ids_are_unique_and_time_ordered() -> None:
    base = datetime(2031, 1, 1, tzinfo=timezone.utc)
    ids = [new_event_id(base + timedelta(microseconds=100 * i)) for i in range(20_000)]  # many per millisecond
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_seeded_ids_are_reproducible_across_time() -> None:
    far = datetime(2040, 1, 1, tzinfo=timezone.utc)
    a = new_event_id(far, random.Random(1))
    b = new_event_id(far + timedelta(seconds=1), random.Random(1))
    assert a[:13] != b[:13] and a[19:] == b[19:]  # same random tail, different time


@pytest.mark.parametrize("kind", ["read", "hit"])
@pytest.mark.parametrize("crop", [None, b"\xff\xd8\xff\xe0fakejpeg\x00\xff\xd9"])
def test_round_trip_and_schema(
    kind: str, crop: bytes | None, schema_validator: jsonschema.Draft202012Validator
) -> None:
    ev = make_event(kind, crop=crop, at=T0)
    d = event_to_dict(ev)
    schema_validator.validate(d)
    assert d["schema"] == SCHEMA_ID
    assert d["last_seen"] == "2024-05-17T14:30:00.123456Z"
    assert ("crop_jpeg" in d) == (crop is not None)
    assert event_from_dict(d) == ev
    wire = event_to_json(ev)
    schema_validator.validate(json.loads(wire))
    assert event_from_json(wire) == ev


def test_json_is_canonical_compact_one_line() -> None:
    ev = make_event("hit", at=T0)
    wire = event_to_json(ev)
    assert b"\n" not in wire and b": " not in wire
    assert wire == json.dumps(json.loads(wire), sort_keys=True, separators=(",", ":")).encode()
    assert event_to_json(event_from_json(wire)) == wire


def test_naive_and_offset_times_become_utc(schema_validator: jsonschema.Draft202012Validator) -> None:
    local = T0.astimezone(timezone(timedelta(hours=-4)))  # Chile standard time
    ev = make_event("read", at=local, with_fix=False)
    d = event_to_dict(ev)
    assert d["last_seen"] == "2024-05-17T14:30:00.123456Z" and d["fix"] is None
    schema_validator.validate(d)


def test_schema_rejects_bad_payloads(schema_validator: jsonschema.Draft202012Validator) -> None:
    good = event_to_dict(make_event("hit", at=T0))
    mutations: tuple[Callable[[dict[str, Any]], None], ...] = (
        lambda d: d.update(kind="hit", match=None),  # a hit must carry its match
        lambda d: d.update(plate="bb-cd12"),
        lambda d: d.update(event_id=str(uuid.uuid4())),
        lambda d: d.update(confidence=1.5),
        lambda d: d.update(surprise=1),
        lambda d: d.update(last_seen="2024-05-17 14:30:00"),
    )
    for mutate in mutations:
        bad = json.loads(json.dumps(good))
        mutate(bad)
        with pytest.raises(jsonschema.ValidationError):
            schema_validator.validate(bad)


def test_malformed_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="schema"):
        event_from_dict({"schema": "other/9"})
    d = event_to_dict(make_event("read", at=T0))
    del d["plate"]
    with pytest.raises(ValueError, match="malformed"):
        event_from_dict(d)
    with pytest.raises(ValueError, match="not JSON"):
        event_from_json(b"{nope")
    with pytest.raises(ValueError):
        event_to_json(dataclasses.replace(make_event("read", at=T0), confidence=float("nan")))
