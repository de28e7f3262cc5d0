"""Stored events as GeoJSON (RFC 7946) and CSV, for patrol planning tools; the car view for the page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime, timezone, tzinfo
from typing import Any

from anpr.control.ingest import status_validator
from anpr.control.payload import PayloadError, loads

# Machine columns are ISO-8601 UTC (`Z`); `local_time` is the last sighting for people, in the control
# room's zone (America/Santiago by default) as Chileans write it: dd-mm-yyyy hh:mm:ss.
CSV_FIELDS = (
    "event_id", "passage_id", "kind", "device_id", "camera_id", "plate", "confidence", "local_time", "first_seen",
    "last_seen", "lat", "lon", "match_kind", "reason", "list_name", "priority", "hotlist_version", "final",
    "received_at",
)  # fmt: skip


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_time(utc_iso: str | None, tz: tzinfo) -> str | None:
    """`2024-05-17T18:30:00.000Z` -> `17-05-2024 14:30:00` in `tz` (with its offset that day)."""
    if not utc_iso:
        return None
    dt = datetime.fromisoformat(utc_iso[:-1] + "+00:00" if utc_iso.endswith("Z") else utc_iso)
    return dt.astimezone(tz).strftime("%d-%m-%Y %H:%M:%S")


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    """A stored event for the page: received_at in ISO-8601 UTC; `ts` (epoch of last_seen, for sorting) dropped."""
    out = dict(row)
    out["received_at"] = iso(row["received_at"])
    out.pop("ts", None)
    return out


def _human(row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    return {**row, "received_at": iso(row["received_at"]), "local_time": local_time(row["last_seen"], tz)}


def _props(row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    full = _human(row, tz)
    return {k: full.get(k) for k in CSV_FIELDS if k not in ("lat", "lon")}


def to_geojson(rows: Sequence[dict[str, Any]], tz: tzinfo = timezone.utc) -> dict[str, Any]:
    """A FeatureCollection; an event without a fix has a null geometry (kept: it still happened)."""
    feats = [
        {
            "type": "Feature",
            "id": r["event_id"],
            "geometry": None
            if r["lat"] is None or r["lon"] is None
            else {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": _props(r, tz),
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


def to_csv(rows: Sequence[dict[str, Any]], tz: tzinfo = timezone.utc) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: cell(v) for k, v in _human(r, tz).items()})
    return out.getvalue()


def render(rows: Sequence[dict[str, Any]], fmt: str, tz: tzinfo = timezone.utc) -> tuple[str, str]:
    """(body, media type) for `geojson` or `csv` (local times in `tz`); ValueError for any other format."""
    if fmt == "geojson":
        return json.dumps(to_geojson(rows, tz), separators=(",", ":")), "application/geo+json"
    if fmt == "csv":
        return to_csv(rows, tz), "text/csv; charset=utf-8"
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
    # Where the car is: its status's `position` (the newest fix, sent every status interval), else the
    # place of its newest event. The status's `fix` says how the GPS is doing, not where the car is.
    fix = None
    pos = status.get("position")
    if isinstance(pos, dict):
        at = datetime.fromisoformat(pos["fixed_at"].replace("Z", "+00:00")).timestamp()
        fix = {"lat": pos["lat"], "lon": pos["lon"], "at": iso(at), "age_s": round(max(0.0, now - at)),
               "heading_deg": pos.get("heading_deg"), "speed_mps": pos.get("speed_mps"), "from": "status"}  # fmt: skip
    elif row.get("last_lat") is not None and row.get("last_lon") is not None:
        seen: float | None = row.get("last_event_at")
        fix = {"lat": row["last_lat"], "lon": row["last_lon"], "at": iso(seen),
               "age_s": None if seen is None else round(max(0.0, now - seen)), "heading_deg": None, "speed_mps": None,
               "from": "event"}  # fmt: skip
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
