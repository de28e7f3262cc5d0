"""Stored events as GeoJSON (RFC 7946) and CSV, for patrol planning tools; the car view for the page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from anpr.control.ingest import status_validator
from anpr.control.payload import PayloadError, loads

CSV_FIELDS = (
    "event_id", "kind", "device_id", "camera_id", "plate", "confidence", "first_seen", "last_seen", "lat", "lon",
    "match_kind", "reason", "list_name", "priority", "hotlist_version", "final", "received_at",
)  # fmt: skip


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _props(row: dict[str, Any]) -> dict[str, Any]:
    p = {k: row[k] for k in CSV_FIELDS if k not in ("lat", "lon")}
    p["received_at"] = iso(row["received_at"])
    return p


def to_geojson(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection; an event without a fix has a null geometry (kept: it still happened)."""
    feats = [
        {
            "type": "Feature",
            "id": r["event_id"],
            "geometry": None
            if r["lat"] is None or r["lon"] is None
            else {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": _props(r),
        }
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": feats}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """OWASP CSV injection: a text cell a spreadsheet would run as a formula gets a leading quote.

    Only text is touched: numbers (a negative latitude) stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: cell(v) for k, v in {**r, "received_at": iso(r["received_at"])}.items()})
    return out.getvalue()


def render(rows: Sequence[dict[str, Any]], fmt: str) -> tuple[str, str]:
    """(body, media type) for `geojson` or `csv`; ValueError for any other format."""
    if fmt == "geojson":
        return json.dumps(to_geojson(rows), separators=(",", ":")), "application/geo+json"
    if fmt == "csv":
        return to_csv(rows), "text/csv; charset=utf-8"
    raise ValueError(f"format {fmt!r}: expected geojson or csv")


def car_view(
    row: dict[str, Any], hotlists: Sequence[dict[str, Any]], now: float, offline_after_s: float
) -> dict[str, Any]:
    """What the page shows for one car: its state, outbox depth, hotlist version and age, last fix, hits.

    The car's retained status says online/offline (its last will says offline when it drops); a car
    that claims online but has been silent for `offline_after_s` shows as offline too. The hotlist
    version comes from the status when the car reports it, else from its newest event; its age is
    how long ago the control room issued that version.
    """
    status = _stored_status(row.get("status"))
    heard = row.get("last_heard")
    silent = heard is None or now - heard > offline_after_s
    state = "online" if row["state"] == "online" and not silent else "offline"
    outbox = status.get("outbox") or {}
    depth = None
    if outbox:
        depth = int(outbox.get("pending_hits") or 0) + int(outbox.get("pending_reads") or 0)
    hl: dict[str, Any] = status.get("hotlist") or {}
    version = hl.get("version", row.get("hotlist_version"))
    age_s = None
    for h in hotlists:
        if h["version"] == version:
            issued = datetime.fromisoformat(h["issued_at"])
            age_s = round(now - issued.timestamp())
            break
    # The status's `fix` says how the GPS is doing, not where the car is: the place comes from its events.
    fix = None
    if row.get("last_lat") is not None and row.get("last_lon") is not None:
        fix = {"lat": row["last_lat"], "lon": row["last_lon"], "at": iso(row.get("last_event_at"))}
    return {
        "device_id": row["device_id"],
        "state": state,
        "reported_state": row["state"],
        "last_heard": iso(heard),
        "outbox_depth": depth,
        "outbox": outbox or None,
        "hotlist_version": version,
        "hotlist_age_s": age_s,
        "fix": fix,
        "gps": status.get("fix"),
        "hits": _camera_sum(status, "hits"),
        "passages": _camera_sum(status, "passages"),
        "status_refused": bool(row.get("status")) and not status,
    }


def _camera_sum(status: dict[str, Any], key: str) -> int | None:
    """A counter summed over the car's cameras since it started; None when its status does not carry it."""
    values = [c.get(key) for c in (status.get("cameras") or {}).values() if isinstance(c, dict)]
    counts = [v for v in values if isinstance(v, int)]
    return sum(counts) if counts else None


def _stored_status(text: str | None) -> dict[str, Any]:
    """A stored status, checked again on the way out: rows stored before statuses were validated (or by
    an older version) must not break the car list; one that fails the schema now shows as no status."""
    if not text:
        return {}
    try:
        obj = loads(text.encode("utf-8"))
    except (PayloadError, UnicodeEncodeError):
        return {}
    if not isinstance(obj, dict) or status_validator().reason(obj) is not None:
        return {}
    return obj
