"""Event ids: time-ordered UUIDv7s, the de-duplication key from the car to the control room."""

from __future__ import annotations

import os
import random
import threading
import uuid
from datetime import datetime, timezone

_id_lock = threading.Lock()
_last_ms = -1
_last_seq = 0


def new_event_id(now: datetime, rand: random.Random | None = None) -> str:
    """A UUIDv7 (RFC 9562) whose time part is `now` in milliseconds.

    Ids made in one process are strictly increasing while `now` does not go back (RFC 9562 method 1:
    a 12-bit counter in `rand_a` within a millisecond). Pass a seeded `rand` for reproducible replays.
    Hand-written because `uuid.uuid7` only arrives in Python 3.14.
    """
    global _last_ms, _last_seq
    ms = int(_utc(now).timestamp() * 1000)
    tail = rand.getrandbits(74) if rand is not None else int.from_bytes(os.urandom(10), "big") >> 6
    with _id_lock:
        if ms <= _last_ms:
            # Same (or earlier) millisecond as the last id: keep order by counting on from it.
            ms, seq = _last_ms, _last_seq + 1
            if seq > 0xFFF:
                ms, seq = ms + 1, (tail >> 62) & 0x7FF
        else:
            seq = (tail >> 62) & 0x7FF  # top bit clear leaves room to count within the millisecond
        _last_ms, _last_seq = ms, seq
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | (tail & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def event_id_time(event_id: str) -> datetime:
    """The UTC millisecond encoded in a UUIDv7 event id."""
    ms = uuid.UUID(event_id).int >> 80
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _utc(dt: datetime) -> datetime:
    # A naive datetime is taken as UTC: every clock in the pipeline is UTC.
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
