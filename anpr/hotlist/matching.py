"""Matching against the store: exact (indexed), wildcard (in memory), fuzzy (confusables, same format)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from anpr.hotlist.base import RecheckHit
from anpr.hotlist.entries import now_iso, plate_format, row_to_entry
from anpr.hotlist.match import WildcardSet, confusable_variants, distance, rank
from anpr.plates.chile import one_char_dropped
from anpr.types import Candidate, HotlistMatch, MatchKind, PlateRead

if TYPE_CHECKING:
    from anpr.hotlist.recheck import RecentReads

_LIVE = "wildcard = 0 AND (expires_at IS NULL OR expires_at > ?)"


class MatchingMixin:
    """The read side of `HotlistStore`; its own connection so matching never waits for an apply."""

    recent: RecentReads

    def __init__(self, rconn: sqlite3.Connection, fuzzy: bool) -> None:
        self._rconn = rconn
        self._rlock = threading.Lock()
        self._fuzzy = fuzzy
        self._wild = WildcardSet(())

    def version(self) -> int | None:  # provided by the store
        raise NotImplementedError

    def _reload_wildcards(self) -> None:
        with self._rlock:
            rows = self._rconn.execute("SELECT * FROM entries WHERE wildcard = 1").fetchall()
        self._wild = WildcardSet(dict(r) for r in rows)

    def _exact_rows(self, plates: Sequence[str], now: str, fmt: str | None = None) -> list[sqlite3.Row]:
        marks = ",".join("?" * len(plates))
        sql = f"SELECT * FROM entries WHERE plate IN ({marks}) AND {_LIVE}"
        params: list[Any] = [*plates, now]
        if fmt is not None:
            sql += " AND format = ?"
            params.append(fmt)
        with self._rlock:
            return self._rconn.execute(sql, params).fetchall()

    def _best(self, found: list[tuple[MatchKind, int, Any]], text: str) -> HotlistMatch | None:
        if not found:
            return None
        kind, dist, row = min(found, key=lambda f: rank(f[0], f[1], int(f[2]["priority"])))
        return HotlistMatch(row_to_entry(row), kind, dist, text, self.version() or 0)

    def match(self, read: PlateRead) -> HotlistMatch | None:
        """Best match: exact > wildcard > fuzzy, then smaller distance, then higher priority; expired never."""
        text = read.text
        if not text:
            return None
        now = now_iso()
        exact = self._exact_rows([text], now)
        if exact:
            return self._best([("exact", 0, r) for r in exact], text)
        wild = [r for r in self._wild.match(text) if not r["expires_at"] or r["expires_at"] > now]
        if wild:
            return self._best([("wildcard", 0, r) for r in wild], text)
        if self._fuzzy:
            return self._fuzzy_match(read, now)
        return None

    def _fuzzy_match(self, read: PlateRead, now: str) -> HotlistMatch | None:
        """The read's alternatives and one confusable substitution, within the read's own format; and an
        alternative of any format that is the read with one character more (a character the read dropped)."""
        fmt = read.format if read.format != "unknown" else plate_format(read.text)
        if fmt == "unknown":
            return None  # no format, no way to tell a fuzzy hit from a different plate
        seeds = [read.text] + [c.text for c in read.alternatives if c.text and c.text != read.text]
        probes: set[str] = set(seeds[1:])
        for seed in seeds:
            probes |= confusable_variants(seed)
        probes.discard(read.text)
        if not probes:
            return None
        rows = self._exact_rows(sorted(probes), now, fmt)  # format = ? keeps hits within the same format
        # RTF09 (a motorcycle) with RTFJ09 (a car) among its alternatives: the vote preferred the read that
        # dropped a character. Only that one evidence-backed string may cross formats, never a substitution.
        longer = sorted({s for s in seeds[1:] if len(s) == len(read.text) + 1 and one_char_dropped(read.text, s)})
        if longer:
            rows += self._exact_rows(longer, now)
        found: list[tuple[MatchKind, int, Any]] = [("fuzzy", distance(read.text, r["plate"]), r) for r in rows]
        best = self._best(found, read.text)
        if best is None:
            return None
        return HotlistMatch(best.entry, "fuzzy", best.distance, best.entry.plate, best.list_version)

    # -- re-check -------------------------------------------------------------------------------------

    @staticmethod
    def _key(m: HotlistMatch | None) -> tuple[str, str, str] | None:
        return (m.entry.plate, m.entry.list_name, m.kind) if m else None

    def remember_read(
        self,
        event_plate: str,
        candidates: Sequence[Candidate],
        event_id: str,
        seen_at: datetime,
        format: str = "unknown",
    ) -> None:
        """Keep a read for `recheck_window_s` so a later list update can still raise its hit."""
        read = self._as_read(event_plate, candidates, format)
        self.recent.add(event_id, event_plate, format, candidates, seen_at, self._key(self.match(read)))

    @staticmethod
    def _as_read(plate: str, candidates: Sequence[Candidate], fmt: str) -> PlateRead:
        alts = tuple(c for c in candidates if c.text != plate)
        return PlateRead(plate, 1.0, (), plate, fmt, alts)

    def recheck(self) -> list[RecheckHit]:
        """Match the remembered reads again; return the hits that are new since each read was remembered."""
        hits: list[RecheckHit] = []
        for r in self.recent.snapshot():
            m = self.match(self._as_read(r.plate, r.candidates, r.format))
            key = self._key(m)
            if m is not None and key != r.match_key:
                hits.append(RecheckHit(r.event_id, r.plate, r.seen_at, m))
            r.match_key = key
        return hits
