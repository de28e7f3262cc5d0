"""The wire form of a `PlateEvent`: time-ordered ids and canonical JSON (`schemas/plate-event.v1.json`).

The same bytes go into the outbox, onto MQTT and out of `anpr replay` (one line per event), so a
control room can compare what the car printed with what it received, byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from anpr.core.ids import event_id_time as event_id_time
from anpr.core.ids import new_event_id as new_event_id
from anpr.types import Candidate, Fix, HotlistEntry, HotlistMatch, PlateEvent

SCHEMA_ID = "anpr.plate-event/1"


def _utc(dt: datetime) -> datetime:
    # A naive datetime is taken as UTC: every clock in the pipeline is UTC.
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return _utc(dt).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_dt(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO-8601 time string, got {value!r}")
    dt = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    return _utc(dt)


def _opt_dt(value: Any) -> datetime | None:
    return None if value is None else _parse_dt(value)


def _fix_to_dict(fix: Fix) -> dict[str, Any]:
    return {
        "lat": fix.lat,
        "lon": fix.lon,
        "speed_mps": fix.speed_mps,
        "heading_deg": fix.heading_deg,
        "hdop": fix.hdop,
        "mode": fix.mode,
        "fixed_at": _iso(fix.fixed_at),
        "source": fix.source,
        "age_s": fix.age_s,
        "stale": fix.stale,
    }


def _match_to_dict(m: HotlistMatch) -> dict[str, Any]:
    e = m.entry
    return {
        "kind": m.kind,
        "distance": m.distance,
        "matched_text": m.matched_text,
        "list_version": m.list_version,
        "entry": {
            "plate": e.plate,
            "list_name": e.list_name,
            "reason": e.reason,
            "priority": e.priority,
            "source": e.source,
            "added_at": _iso(e.added_at),
            "expires_at": _iso(e.expires_at),
            "check_digit": e.check_digit,
            "note": e.note,
            "covert": e.covert,
            "wildcard": e.wildcard,
        },
    }


def event_to_dict(ev: PlateEvent) -> dict[str, Any]:
    """JSON-ready dict: UTC ISO-8601 times, crop as base64 (key absent without a crop)."""
    d: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "event_id": ev.event_id,
        "kind": ev.kind,
        "final": ev.final,
        "device_id": ev.device_id,
        "camera_id": ev.camera_id,
        "passage_id": ev.passage_id,
        "plate": ev.plate,
        "confidence": ev.confidence,
        "format": ev.format,
        "alternatives": [{"text": c.text, "score": c.score, "format": c.format} for c in ev.alternatives],
        "first_seen": _iso(ev.first_seen),
        "last_seen": _iso(ev.last_seen),
        "fix": None if ev.fix is None else _fix_to_dict(ev.fix),
        "match": None if ev.match is None else _match_to_dict(ev.match),
        "model_versions": dict(ev.model_versions),
        "hotlist_version": ev.hotlist_version,
    }
    if ev.crop_jpeg is not None:
        d["crop_jpeg"] = base64.b64encode(ev.crop_jpeg).decode("ascii")
    return d


def _fix_from_dict(d: Mapping[str, Any]) -> Fix:
    return Fix(
        lat=float(d["lat"]),
        lon=float(d["lon"]),
        speed_mps=d.get("speed_mps"),
        heading_deg=d.get("heading_deg"),
        hdop=d.get("hdop"),
        mode=d["mode"],
        fixed_at=_parse_dt(d["fixed_at"]),
        source=str(d["source"]),
        age_s=float(d.get("age_s", 0.0)),
        stale=bool(d.get("stale", False)),
    )


def _match_from_dict(d: Mapping[str, Any]) -> HotlistMatch:
    e = d["entry"]
    entry = HotlistEntry(
        plate=e["plate"],
        list_name=e["list_name"],
        reason=e["reason"],
        priority=int(e["priority"]),
        source=e["source"],
        added_at=_opt_dt(e.get("added_at")),
        expires_at=_opt_dt(e.get("expires_at")),
        check_digit=e.get("check_digit"),
        note=e.get("note", ""),
        covert=bool(e.get("covert", False)),
        wildcard=bool(e.get("wildcard", False)),
    )
    return HotlistMatch(
        entry=entry,
        kind=d["kind"],
        distance=int(d["distance"]),
        matched_text=d["matched_text"],
        list_version=int(d["list_version"]),
    )


def event_from_dict(d: Mapping[str, Any]) -> PlateEvent:
    """Inverse of `event_to_dict`. Raises ValueError on a wrong schema id or a malformed field.

    `model_versions` comes back as (name, version) pairs sorted by name (JSON objects carry no order).
    """
    if d.get("schema") != SCHEMA_ID:
        raise ValueError(f"not a {SCHEMA_ID} event (schema={d.get('schema')!r})")
    try:
        crop = d.get("crop_jpeg")
        return PlateEvent(
            event_id=str(d["event_id"]),
            kind=d["kind"],
            device_id=str(d["device_id"]),
            camera_id=str(d["camera_id"]),
            passage_id=str(d["passage_id"]),
            plate=str(d["plate"]),
            confidence=float(d["confidence"]),
            format=str(d["format"]),
            alternatives=tuple(
                Candidate(text=a["text"], score=float(a["score"]), format=a["format"]) for a in d["alternatives"]
            ),
            first_seen=_parse_dt(d["first_seen"]),
            last_seen=_parse_dt(d["last_seen"]),
            fix=None if d.get("fix") is None else _fix_from_dict(d["fix"]),
            match=None if d.get("match") is None else _match_from_dict(d["match"]),
            crop_jpeg=None if crop is None else base64.b64decode(crop, validate=True),
            model_versions=tuple(sorted((str(k), str(v)) for k, v in d.get("model_versions", {}).items())),
            hotlist_version=d.get("hotlist_version"),
            final=bool(d.get("final", True)),
        )
    except (KeyError, TypeError, AttributeError, binascii.Error) as err:
        raise ValueError(f"malformed plate event: {err!r}") from None


def event_to_json(ev: PlateEvent) -> bytes:
    """Canonical compact JSON (sorted keys, UTF-8, no NaN): outbox row, MQTT payload and replay line."""
    return json.dumps(
        event_to_dict(ev), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def event_from_json(data: bytes | str) -> PlateEvent:
    """Parse one payload produced by `event_to_json`; ValueError when it is not one."""
    try:
        obj = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"not JSON: {err}") from None
    if not isinstance(obj, dict):
        raise ValueError("a plate event must be a JSON object")
    return event_from_dict(obj)
