"""Passages: the events of one vehicle passing one camera, grouped, and the operator's review of a hit.

A car sends an early hit as soon as a passage's reading is confident and a final event when the passage
ends; both carry the same `passage_id`. The page and the exports show one row per passage, with the
events behind it as its history. A hit passage is confirmed or dismissed by an operator with a note;
the review is stored (one per passage, the newest wins) and every decision is in the audit log.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from anpr.control.export import iso
from anpr.control.payload import printable
from anpr.control.query import EventFilter
from anpr.control.store import Store
from anpr.control.users import audit

Decision = Literal["confirmed", "dismissed"]
DECISIONS: tuple[Decision, ...] = ("confirmed", "dismissed")
NOTE_MAX = 500
_DEVICE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # as in the event schema
_HIT_KEYS = ("match_kind", "reason", "list_name", "priority")


@dataclass(frozen=True, slots=True)
class Review:
    decision: Decision
    note: str
    user: str
    at: float

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "note": self.note, "user": self.user, "at": iso(self.at)}


def check_key(device_id: str, passage_id: str) -> tuple[str, str]:
    """A passage key from a URL; ValueError (a 400) naming what is wrong."""
    if not _DEVICE.match(device_id):
        raise ValueError(f"device {device_id[:70]!r}: expected letters, digits, '.', '_' or '-' (1..64)")
    if not 1 <= len(passage_id) <= 128 or not passage_id.isprintable():
        raise ValueError("passage id: expected 1..128 printable characters")
    return device_id, passage_id


def reviews(store: Store, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Review]:
    out: dict[tuple[str, str], Review] = {}
    for i in range(0, len(keys), 200):
        chunk = keys[i : i + 200]
        terms = " OR ".join("(device_id = ? AND passage_id = ?)" for _ in chunk)
        rows = store.query(
            f"SELECT device_id, passage_id, decision, note, user_name, at FROM reviews WHERE {terms}",
            [v for key in chunk for v in key],
        )
        for r in rows:
            out[(r["device_id"], r["passage_id"])] = Review(r["decision"], r["note"], r["user_name"], float(r["at"]))
    return out


def _alternatives(payload: str) -> list[dict[str, Any]]:
    try:
        alts = json.loads(payload).get("alternatives") or []
    except (ValueError, AttributeError):
        return []
    return [{"text": a.get("text"), "score": a.get("score")} for a in alts if isinstance(a, dict)][:8]


def _entry(payload: str) -> dict[str, Any] | None:
    try:
        match = json.loads(payload).get("match") or {}
    except (ValueError, AttributeError):
        return None
    entry = match.get("entry") if isinstance(match, dict) else None
    if not isinstance(entry, dict):
        return None
    keys = ("plate", "list_name", "reason", "priority", "source", "added_at", "expires_at", "note")
    return {k: entry.get(k) for k in keys}


def _step(row: dict[str, Any]) -> dict[str, Any]:
    """One event of a passage's history, as the page lists it."""
    keys = ("event_id", "kind", "final", "plate", "confidence", "first_seen", "last_seen", "lat", "lon", "has_crop")
    out = {k: row[k] for k in keys}
    out["received_at"] = iso(row["received_at"])
    out["alternatives"] = _alternatives(row.get("payload") or "{}")
    out["match_kind"] = row["match_kind"]
    out["entry"] = _entry(row.get("payload") or "{}") if row["kind"] == "hit" else None
    return out


def summarize(history: list[dict[str, Any]], review: Review | None) -> dict[str, Any]:
    """One passage from its events (oldest first): the final event's reading (else the newest), the hit's
    hotlist entry (a hit once raised stays a hit), the crop of the newest event with one, and the review."""
    finals = [r for r in history if r["final"]]
    head = finals[-1] if finals else history[-1]
    hits = [r for r in history if r["kind"] == "hit"]
    out: dict[str, Any] = {
        k: head[k]
        for k in ("device_id", "camera_id", "passage_id", "plate", "confidence", "first_seen", "last_seen", "lat",
                  "lon", "hotlist_version")
    }  # fmt: skip
    out["kind"] = "hit" if hits else "read"
    out["final"] = bool(finals)
    for k in _HIT_KEYS:
        out[k] = hits[-1][k] if hits else None
    out["first_seen"] = min(r["first_seen"] for r in history)
    with_crop = [r for r in history if r["has_crop"]]
    out["crop_event_id"] = with_crop[-1]["event_id"] if with_crop else None
    out["event_id"] = head["event_id"]
    out["received_at"] = iso(max(r["received_at"] for r in history))
    out["events"] = [_step(r) for r in history]
    out["review"] = review.to_json() if review is not None else None
    return out


def list_passages(store: Store, flt: EventFilter, *, unreviewed: bool = False) -> list[dict[str, Any]]:
    """Passages with an event that matches `flt`, newest first (at most `flt.limit` passages)."""
    rows = store.events(flt)
    keys = list(dict.fromkeys((r["device_id"], r["passage_id"] or r["event_id"]) for r in rows))
    history: dict[tuple[str, str], list[dict[str, Any]]] = {k: [] for k in keys}
    for r in store.passage_events(keys):
        history[(r["device_id"], r["passage_id"])].append(r)
    for r in rows:  # an event stored before passages were kept has no passage: it is its own
        if not r["passage_id"]:
            history[(r["device_id"], r["event_id"])].append({**r, "passage_id": r["event_id"], "payload": "{}"})
    found = reviews(store, keys)
    out = []
    for key in keys:
        if not history[key]:
            continue
        p = summarize(history[key], found.get(key))
        if unreviewed and (p["kind"] != "hit" or p["review"] is not None):
            continue
        out.append(p)
    return out


def passage(store: Store, device_id: str, passage_id: str) -> dict[str, Any] | None:
    key = check_key(device_id, passage_id)
    history = store.passage_events([key])
    if not history:
        return None
    return summarize(history, reviews(store, [key]).get(key))


def review(store: Store, key: tuple[str, str], body: Any, user: str, remote: str | None) -> Review:
    """Record an operator's decision on a hit passage (ValueError naming the field when it cannot be)."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object with decision and note")
    decision, note = body.get("decision"), body.get("note", "")
    if decision not in DECISIONS:
        raise ValueError(f"decision {str(decision)[:20]!r}: expected confirmed or dismissed")
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        raise ValueError(f"note: expected text of at most {NOTE_MAX} characters")
    note = printable(note.strip(), NOTE_MAX)
    if decision == "dismissed" and not note:
        raise ValueError("note: say why the hit is dismissed (a misread, another vehicle, ...)")
    history = store.passage_events([key])
    if not any(r["kind"] == "hit" for r in history):
        raise LookupError(f"no hit of passage {key[1][:40]!r} from {key[0]}")
    now = time.time()
    store.execute(
        "INSERT INTO reviews (device_id, passage_id, decision, note, user_name, at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (device_id, passage_id) DO UPDATE SET decision = excluded.decision, note = excluded.note, "
        "user_name = excluded.user_name, at = excluded.at",
        (*key, decision, note, user, now),
    )
    plate = history[-1]["plate"]
    audit(store, user, f"hit-{decision}", f"{plate} {key[0]}/{key[1]}: {note}", remote)
    return Review(decision, note, user, now)  # type: ignore[arg-type]
