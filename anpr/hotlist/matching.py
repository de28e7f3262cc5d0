"""Matching a read against the list: exact (indexed), wildcard (in memory), fuzzy (confusables, same format).

`EntryMatcher` reads the store's entries through the store's second (read) connection, so matching never
waits for an apply; the pure helpers (confusable variants, ranking, the wildcard set) do no I/O; the fuzzy
distance is `anpr.plates.chile.plate_distance`, which the tracker uses too.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from anpr.hotlist.entries import now_iso, plate_format, row_to_entry, wildcard_regex
from anpr.plates.chile import one_char_dropped, plate_distance
from anpr.types import HotlistMatch, MatchKind, PlateRead

KIND_RANK: Mapping[MatchKind, int] = {"exact": 0, "wildcard": 1, "fuzzy": 2}
_LIVE = "wildcard = 0 AND (expires_at IS NULL OR expires_at > ?)"


def confusable_variants(text: str) -> set[str]:
    """Every string one confusable substitution away from `text` (the grammar module says what is confusable).

    Format membership is not checked here: the matcher compares the stored format of the entry with the
    read's format, which is cheaper than parsing each variant and means the same thing.
    """
    from anpr.plates.chile import CONFUSABLE

    out: set[str] = set()
    for i, ch in enumerate(text):
        for alt in CONFUSABLE.get(ch, ()):
            if alt != ch:
                out.add(text[:i] + alt + text[i + 1 :])
    return out


def rank(kind: MatchKind, dist: int, priority: int) -> tuple[int, int, int]:
    """Sort key, smallest best: exact before wildcard before fuzzy, then closer, then higher priority."""
    return (KIND_RANK[kind], dist, -priority)


class WildcardSet:
    """Wildcard entries kept in memory as compiled patterns, split by length so most are never tried."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self._fixed: dict[int, list[tuple[re.Pattern[str], Mapping[str, Any]]]] = {}
        self._star: list[tuple[re.Pattern[str], int, Mapping[str, Any]]] = []
        self.count = 0
        for row in rows:
            pattern = str(row["plate"])
            compiled = wildcard_regex(pattern)
            self.count += 1
            if "*" in pattern:
                self._star.append((compiled, len(pattern.replace("*", "")), row))
            else:
                self._fixed.setdefault(len(pattern), []).append((compiled, row))

    def match(self, text: str) -> list[Mapping[str, Any]]:
        hits = [row for rx, row in self._fixed.get(len(text), ()) if rx.fullmatch(text)]
        hits.extend(row for rx, minlen, row in self._star if len(text) >= minlen and rx.fullmatch(text))
        return hits


class EntryMatcher:
    """The read side of `HotlistStore`: its entries looked up through the store's read connection.

    `version` says which signed list version the store holds (it goes into every match)."""

    def __init__(
        self, rconn: sqlite3.Connection, rlock: threading.Lock, fuzzy: bool, version: Callable[[], int | None]
    ) -> None:
        self._rconn = rconn
        self._rlock = rlock
        self._fuzzy = fuzzy
        self._version = version
        self.wildcards = WildcardSet(())

    def reload_wildcards(self) -> None:
        """Re-read the wildcard entries (after every list update)."""
        with self._rlock:
            rows = self._rconn.execute("SELECT * FROM entries WHERE wildcard = 1").fetchall()
        self.wildcards = WildcardSet(dict(r) for r in rows)

    def exact_rows(self, plates: Sequence[str], now: str, fmt: str | None = None) -> list[sqlite3.Row]:
        """Live (unexpired) non-wildcard entries for `plates`, of format `fmt` when given."""
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
        return HotlistMatch(row_to_entry(row), kind, dist, text, self._version() or 0)

    def match(self, read: PlateRead) -> HotlistMatch | None:
        """Best match: exact > wildcard > fuzzy, then smaller distance, then higher priority; expired never."""
        text = read.text
        if not text:
            return None
        now = now_iso()
        exact = self.exact_rows([text], now)
        if exact:
            return self._best([("exact", 0, r) for r in exact], text)
        wild = [r for r in self.wildcards.match(text) if not r["expires_at"] or r["expires_at"] > now]
        if wild:
            return self._best([("wildcard", 0, r) for r in wild], text)
        if self._fuzzy:
            return self.fuzzy_match(read, now)
        return None

    def fuzzy_match(self, read: PlateRead, now: str) -> HotlistMatch | None:
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
        rows = self.exact_rows(sorted(probes), now, fmt)  # format = ? keeps hits within the same format
        # RTF09 (a motorcycle) with RTFJ09 (a car) among its alternatives: the vote preferred the read that
        # dropped a character. Only that one evidence-backed string may cross formats, never a substitution.
        longer = sorted({s for s in seeds[1:] if len(s) == len(read.text) + 1 and one_char_dropped(read.text, s)})
        if longer:
            rows += self.exact_rows(longer, now)
        found: list[tuple[MatchKind, int, Any]] = [("fuzzy", plate_distance(read.text, r["plate"]), r) for r in rows]
        best = self._best(found, read.text)
        if best is None:
            return None
        return HotlistMatch(best.entry, "fuzzy", best.distance, best.entry.plate, best.list_version)
