"""Pure helpers of matching: confusable variants, wildcard patterns, ranking. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from anpr.hotlist.entries import wildcard_regex
from anpr.types import MatchKind

KIND_RANK: Mapping[MatchKind, int] = {"exact": 0, "wildcard": 1, "fuzzy": 2}


def confusable_variants(text: str) -> set[str]:
    """Every string one confusable substitution away from `text` (the grammar module says what is confusable).

    Format membership is not checked here: the store compares the stored format of the entry with the
    read's format, which is cheaper than parsing each variant and means the same thing.
    """
    from anpr.plates.chile import CONFUSABLE

    out: set[str] = set()
    for i, ch in enumerate(text):
        for alt in CONFUSABLE.get(ch, ()):
            if alt != ch:
                out.add(text[:i] + alt + text[i + 1 :])
    return out


def distance(a: str, b: str) -> int:
    """Substitutions between two plates of the same length (Hamming); 1 for one dropped character;
    otherwise the longer length."""
    from anpr.plates.chile import one_char_dropped

    if len(a) != len(b):
        return 1 if one_char_dropped(a, b) else max(len(a), len(b))
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


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
