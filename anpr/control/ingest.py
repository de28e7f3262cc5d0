"""What one MQTT message becomes: a stored event, a car status, or a quarantined payload with its reason.

Pure functions (no broker, no database) so every refusal is tested on bytes. A payload is refused when it
is not strict JSON that every store can take (`payload.loads`), fails its JSON Schema (events:
plate-event.v1, statuses: car-status.v1), names a time that does not exist, or contradicts its topic (an
event for car A on car B's topic is spoofed or misrouted, and must not be filed under either). `ingest`
never raises: whatever it cannot classify is quarantined with the reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from anpr.control.payload import PayloadError, loads, printable, utc_epoch

log = logging.getLogger(__name__)
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"  # ships in the package
SCHEMA_FILE = SCHEMAS / "plate-event.v1.json"
STATUS_SCHEMA_FILE = SCHEMAS / "car-status.v1.json"
MAX_STATUS_BYTES = 16384
_INT32 = 1 << 31
_DEVICE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # the event schema's device_id


@dataclass(frozen=True, slots=True)
class EventRow:
    """One hit or read as stored: the columns the page filters on, plus the payload without its crop."""

    event_id: str
    kind: str
    device_id: str
    camera_id: str
    plate: str
    confidence: float
    first_seen: str
    last_seen: str
    ts: float
    lat: float | None
    lon: float | None
    match_kind: str | None
    reason: str | None
    list_name: str | None
    priority: int | None
    hotlist_version: int | None
    final: bool
    crop: bytes | None
    payload: str
    passage_id: str


@dataclass(frozen=True, slots=True)
class StatusRow:
    device_id: str
    state: str
    payload: str


@dataclass(frozen=True, slots=True)
class Quarantined:
    topic: str
    payload: bytes
    reason: str


Ingested = EventRow | StatusRow | Quarantined


class SchemaCheck:
    """The event JSON Schema, checked fast and explained well.

    `fastjsonschema` compiles the schema to Python (about 15x faster than `jsonschema`, which would
    cap one receiver near 650 events/s); a payload it refuses is re-checked by `jsonschema`, the
    reference implementation, which also words the reason. Where the two disagree, `jsonschema` wins.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        jsonschema.Draft202012Validator.check_schema(schema)
        self.reference = jsonschema.Draft202012Validator(schema)
        self._fast = fastjsonschema.compile(schema)

    def reason(self, obj: Any) -> str | None:
        """None when `obj` is a valid event, else why not (the field and the rule)."""
        try:
            self._fast(obj)
            return None
        except fastjsonschema.JsonSchemaException:
            pass
        err = jsonschema.exceptions.best_match(self.reference.iter_errors(obj))
        if err is None:
            return None
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        msg = err.message if len(err.message) <= 200 else err.message[:200] + "..."
        return f"schema: {where}: {msg}"


@lru_cache(maxsize=4)
def load_validator(path: str | None = None) -> SchemaCheck:
    """The event schema's check; `path` defaults to the packaged anpr/schemas/plate-event.v1.json."""
    return SchemaCheck(json.loads(Path(path or SCHEMA_FILE).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def status_validator() -> SchemaCheck:
    """The car status schema's check (anpr/schemas/car-status.v1.json)."""
    return SchemaCheck(json.loads(STATUS_SCHEMA_FILE.read_text(encoding="utf-8")))


def split_topic(prefix: str, topic: str) -> tuple[str, str] | None:
    """`{prefix}/{device}/{hit|read|status}` -> (device, leaf); None for any other topic."""
    head = prefix.rstrip("/") + "/"
    if not topic.startswith(head):
        return None
    rest = topic[len(head) :].split("/")
    if len(rest) != 2 or rest[1] not in ("hit", "read", "status") or not _DEVICE.match(rest[0]):
        return None
    return rest[0], rest[1]


def ingest(
    prefix: str, topic: str, payload: bytes, validator: SchemaCheck, max_bytes: int = 1 << 20
) -> Ingested | None:
    """Classify one message. None when there is nothing to keep: an empty retained status (a cleared topic),
    or the control room's own hotlist document (`{prefix}/hotlist/{list}`, which a car subscription matches
    when the list is named hit, read or status).

    Never raises: a payload that trips anything unforeseen is quarantined as an internal error, so one
    message can neither stop the writer nor be retried for ever.
    """
    topic = printable(topic, 1024)  # mosquitto checks topics are UTF-8; a TEXT column must take it anyway
    try:
        return _classify(prefix, topic, payload, validator, max_bytes)
    except PayloadError as err:
        return Quarantined(topic, payload, printable(str(err)))
    except Exception as err:  # a bug here must cost one message, not the receiver
        log.exception("classifying a message on %s failed", topic)
        return Quarantined(topic, payload, printable(f"internal error: {type(err).__name__}: {err}"))


def _classify(prefix: str, topic: str, payload: bytes, validator: SchemaCheck, max_bytes: int) -> Ingested | None:
    if topic.startswith(f"{prefix.rstrip('/')}/hotlist/"):
        return None  # no car is called hotlist (the account tool and the car's config refuse it)
    where = split_topic(prefix, topic)
    if where is None:
        return Quarantined(topic, payload[:4096], "unexpected topic")
    device, leaf = where
    limit = min(max_bytes, MAX_STATUS_BYTES) if leaf == "status" else max_bytes
    if len(payload) > limit:
        return Quarantined(topic, payload[:4096], f"payload of {len(payload)} bytes exceeds {limit}")
    if leaf == "status" and not payload:
        return None
    obj = loads(payload)
    if not isinstance(obj, dict):
        return Quarantined(topic, payload, "not a JSON object")
    if leaf == "status":
        return _status(topic, payload, device, obj)
    reason = validator.reason(obj)
    if reason is None and obj["kind"] != leaf:
        reason = f"a {obj['kind']} event on a /{leaf} topic"
    if reason is None and obj["device_id"] != device:
        reason = f"device_id {obj['device_id']!r} on the topic of device {device!r}"
    if reason is not None:
        return Quarantined(topic, payload, printable(reason))
    return _event_row(topic, payload, obj)


def _status(topic: str, payload: bytes, device: str, obj: dict[str, Any]) -> StatusRow | Quarantined:
    state = obj.get("state")
    if state not in ("online", "offline"):
        return Quarantined(topic, payload, printable(f"status: state {state!r} is neither online nor offline"))
    if obj.get("device_id", device) != device:
        why = f"status: device_id {obj.get('device_id')!r} on the topic of {device!r}"
        return Quarantined(topic, payload, printable(why))
    reason = status_validator().reason(obj)
    if reason is not None:
        return Quarantined(topic, payload, printable(f"status {reason}"))
    if "at" in obj:
        utc_epoch(obj["at"], "at")
    # stored re-serialised: what the page reads back is exactly what was validated
    return StatusRow(device, str(state), json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def _event_row(topic: str, payload: bytes, obj: dict[str, Any]) -> EventRow | Quarantined:
    utc_epoch(obj["first_seen"], "first_seen")
    last = utc_epoch(obj["last_seen"], "last_seen")
    fix = obj.get("fix") or {}
    match = obj.get("match") or {}
    entry = match.get("entry") or {}
    if fix:
        utc_epoch(fix["fixed_at"], "fix/fixed_at")
    for key in ("added_at", "expires_at"):
        if entry.get(key) is not None:
            utc_epoch(entry[key], f"match/entry/{key}")
    if entry and not -_INT32 <= entry["priority"] < _INT32:
        raise PayloadError("match/entry/priority: out of the 32-bit range")
    crop: bytes | None = None
    b64 = obj.pop("crop_jpeg", None)
    if b64 is not None:
        try:
            crop = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            return Quarantined(topic, payload, "crop_jpeg: not valid base64")
    return EventRow(
        event_id=obj["event_id"],
        kind=obj["kind"],
        device_id=obj["device_id"],
        camera_id=obj["camera_id"],
        plate=obj["plate"],
        confidence=float(obj["confidence"]),
        first_seen=obj["first_seen"],
        last_seen=obj["last_seen"],
        ts=last,
        lat=fix.get("lat"),
        lon=fix.get("lon"),
        match_kind=match.get("kind"),
        reason=entry.get("reason"),
        list_name=entry.get("list_name"),
        priority=entry.get("priority"),
        hotlist_version=obj.get("hotlist_version"),
        final=bool(obj["final"]),
        crop=crop,
        payload=json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        passage_id=obj["passage_id"],
    )
