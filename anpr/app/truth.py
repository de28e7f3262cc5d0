"""Scoring a replay's events against a clip's ground-truth sidecar (`<clip>.truth.json`).

An event is attributed to the truth plate it names when that plate is in view during the event, else to
the plate whose visible frames overlap the event's frame span most; events overlapping no truth plate are
phantoms. A truth plate counts as read exactly when one of its
events carries its text. Hits: a plate marked `expect: hit` must produce an exact hit; an exact hit on
any other plate (the near-miss included) is a false hit. Fuzzy hits on the near-miss are allowed: they
are labelled for the officer to confirm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from anpr.types import Box, PlateEvent


@dataclass(frozen=True, slots=True)
class TruthPlate:
    text: str
    expect: str
    frames: frozenset[int]


@dataclass(frozen=True, slots=True)
class Truth:
    clip: str
    fps: float
    frame_count: int
    plates: tuple[TruthPlate, ...]


class TruthError(ValueError):
    """A sidecar that cannot be used (the message names the file and the problem)."""


def load_truth(path: Path) -> Truth:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        plates = tuple(
            TruthPlate(
                text=str(p["text"]),
                expect=str(p.get("expect", "none")),
                frames=frozenset(int(b["frame"]) for b in p["boxes"]),
            )
            for p in data["plates"]
        )
        return Truth(str(data["clip"]), float(data["fps"]), int(data["frame_count"]), plates)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise TruthError(f"{path}: not a usable truth sidecar ({err})") from None


def truth_boxes(path: Path) -> dict[int, list[tuple[str, Box]]]:
    """Frame → [(plate text, box in frame px)] from a sidecar's per-frame boxes."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        out: dict[int, list[tuple[str, Box]]] = {}
        for plate in data["plates"]:
            for b in plate["boxes"]:
                x1, y1, x2, y2 = (float(v) for v in b["box"])
                out.setdefault(int(b["frame"]), []).append((str(plate["text"]), (x1, y1, x2, y2)))
        return out
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise TruthError(f"{path}: not a usable truth sidecar with boxes ({err})") from None


def _frame_span(ev: PlateEvent, start: datetime, fps: float) -> range:
    first = round((ev.first_seen - start).total_seconds() * fps)
    last = round((ev.last_seen - start).total_seconds() * fps)
    return range(first, last + 1)


def score(truth: Truth, events: list[PlateEvent], start: datetime) -> dict[str, Any]:
    """Counts of exact reads, misses, misreads, phantoms and hits (final events only)."""
    by_plate: dict[str, list[PlateEvent]] = {p.text: [] for p in truth.plates}
    phantoms: list[str] = []
    for ev in events:
        span = set(_frame_span(ev, start, truth.fps))
        overlap = {p.text: len(span & p.frames) for p in truth.plates if span & p.frames}
        if not overlap:
            phantoms.append(ev.plate)
            continue
        # Several plates can be in view at once: a read of one of them belongs to it; anything else
        # is a misread of the plate it overlaps most.
        best = ev.plate if ev.plate in overlap else max(overlap, key=lambda t: overlap[t])
        by_plate[best].append(ev)
    read_exact = [p.text for p in truth.plates if any(e.plate == p.text for e in by_plate[p.text])]
    misread = sorted(f"{p.text}->{e.plate}" for p in truth.plates for e in by_plate[p.text] if e.plate != p.text)
    exact_hits = {
        p.text for p in truth.plates for e in by_plate[p.text] if e.match is not None and e.match.kind == "exact"
    }
    expected_hits = {p.text for p in truth.plates if p.expect == "hit"}
    return {
        "plates": len(truth.plates),
        "read_exact": len(read_exact),
        "missed": sorted(p.text for p in truth.plates if not by_plate[p.text]),
        "misread": misread,
        "phantoms": sorted(phantoms),
        "hits_expected": len(expected_hits),
        "hits_ok": len(expected_hits & exact_hits),
        "false_hits": sorted(exact_hits - expected_hits),
    }
