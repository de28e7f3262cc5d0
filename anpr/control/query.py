"""Filters over stored events: plate with wildcards (`?` one character, `*` any run), time span and area.

The same filter serves the page, the export endpoints and `anpr control export`; it is parsed from
strings once (bad input -> ValueError naming the field) and turned into SQL with bound parameters only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import Any, Literal

Kind = Literal["hit", "read"]
_PLATE = re.compile(r"^[A-Z0-9?*]{1,16}$")
_DEVICE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # as in the event schema
_KNOWN = frozenset({"kind", "plate", "since", "until", "bbox", "device", "limit", "order"})
# Chilean dates as operators type them: dd-mm-yyyy, optionally hh:mm[:ss] (or dd/mm/yyyy)
_CHILEAN = re.compile(r"^(\d{1,2})[-/](\d{1,2})[-/](\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


@dataclass(frozen=True, slots=True)
class EventFilter:
    kind: Kind | None = None
    plate: str | None = None
    """Pattern of [A-Z0-9] with `?` and `*` wildcards; matched against the whole plate."""
    since: float | None = None
    until: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    """min_lon, min_lat, max_lon, max_lat (the GeoJSON order)."""
    device: str | None = None
    limit: int = 1000
    order: Literal["time", "received"] = "time"


def plate_like(pattern: str) -> str:
    """`BB?D*` -> SQL LIKE `BB_D%`. The pattern alphabet has no LIKE metacharacters to escape."""
    p = pattern.strip().upper()
    if not _PLATE.match(p):
        raise ValueError(f"plate pattern {pattern[:20]!r}: use letters, digits, ? (one character) and * (any run)")
    return p.replace("?", "_").replace("*", "%")


def parse_time(value: str, tz: tzinfo = timezone.utc) -> float:
    """-> epoch seconds from a Chilean date `dd-mm-yyyy[ hh:mm[:ss]]` (local time in `tz`, the control
    room's zone), ISO-8601 (naive = UTC, as every clock in the system) or epoch seconds."""
    v = value.strip()[:64]
    m = _CHILEAN.match(v)
    try:
        if m:
            day, month, year, hour, minute, second = (int(g) if g else 0 for g in m.groups())
            epoch = datetime(year, month, day, hour, minute, second, tzinfo=tz).timestamp()
        elif _is_float(v):
            epoch = float(v)
        else:
            dt = datetime.fromisoformat(v[:-1] + "+00:00" if v.endswith("Z") else v)
            epoch = (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()
    except (ValueError, OverflowError):
        raise ValueError(
            f"time {value[:64]!r}: expected dd-mm-yyyy hh:mm (local time) or ISO-8601 such as 2024-05-17T14:30:00Z"
        ) from None
    if not math.isfinite(epoch) or not 0 <= epoch < 32503680000:  # 1970 .. 3000
        raise ValueError(f"time {value[:64]!r}: out of range")
    return epoch


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    try:
        parts = tuple(float(x) for x in value[:200].split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not all(math.isfinite(x) for x in parts):
        raise ValueError(f"bbox {value[:200]!r}: expected min_lon,min_lat,max_lon,max_lat")
    w, s, e, n = parts
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise ValueError(f"bbox {value!r}: needs -180<=min_lon<=max_lon<=180 and -90<=min_lat<=max_lat<=90")
    return w, s, e, n


def filter_from_params(
    params: dict[str, str], max_rows: int, kind: str | None = None, tz: tzinfo = timezone.utc
) -> EventFilter:
    """Build a filter from query-string style parameters (page, export URL, CLI). ValueError on bad input.
    `tz` is the zone of Chilean dates (dd-mm-yyyy hh:mm) in since/until."""
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0][:40]!r}: expected {', '.join(sorted(_KNOWN))}")
    kind = kind or params.get("kind") or None
    if kind not in (None, "hit", "read"):
        raise ValueError(f"kind {kind[:20]!r}: expected hit or read")
    order = params.get("order") or "time"
    if order not in ("time", "received"):
        raise ValueError(f"order {order[:20]!r}: expected time or received")
    device = params.get("device") or None
    if device is not None and not _DEVICE.match(device):
        raise ValueError(f"device {device[:70]!r}: expected letters, digits, '.', '_' or '-' (1..64)")
    limit = max_rows
    if params.get("limit"):
        try:
            limit = int(params["limit"][:20])
        except ValueError:
            raise ValueError(f"limit {params['limit'][:20]!r}: expected a whole number") from None
        if not 1 <= limit <= max_rows:
            raise ValueError(f"limit {limit}: expected 1..{max_rows}")
    plate = params.get("plate") or None
    if plate is not None:
        plate_like(plate)  # validate now, so a bad pattern is a 400 and not a 500
    return EventFilter(
        kind=kind,  # type: ignore[arg-type]
        plate=plate,
        since=parse_time(params["since"], tz) if params.get("since") else None,
        until=parse_time(params["until"], tz) if params.get("until") else None,
        bbox=parse_bbox(params["bbox"]) if params.get("bbox") else None,
        device=device,
        limit=limit,
        order=order,  # type: ignore[arg-type]
    )


def where_clause(flt: EventFilter) -> tuple[str, list[Any]]:
    """` WHERE ...` with `?` placeholders, and its arguments ('' and [] when nothing filters)."""
    terms: list[str] = []
    args: list[Any] = []
    if flt.kind is not None:
        terms.append("kind = ?")
        args.append(flt.kind)
    if flt.plate is not None:
        terms.append("plate LIKE ?")
        args.append(plate_like(flt.plate))
    if flt.since is not None:
        terms.append("ts >= ?")
        args.append(flt.since)
    if flt.until is not None:
        terms.append("ts <= ?")
        args.append(flt.until)
    if flt.bbox is not None:
        w, s, e, n = flt.bbox
        terms.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        args.extend((w, e, s, n))
    if flt.device is not None:
        terms.append("device_id = ?")
        args.append(flt.device)
    return (" WHERE " + " AND ".join(terms) if terms else ""), args
