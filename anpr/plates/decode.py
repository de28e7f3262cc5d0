"""Grammar-constrained k-best search over per-position character probabilities.

Each format fixes the allowed characters of every slot, so the best strings of a format are the top of
a product of independent per-slot choices: a beam over slots keeping the W best prefixes is exact for
the W best strings. Format rules that span slots (the old-series table, the 00 rule) are applied to
the finished strings, which is why the beam is wider than k.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from anpr.plates.confusion import SLOT_REPAIR
from anpr.types import Candidate

if TYPE_CHECKING:
    from anpr.plates.chile import PlateFormat

__all__ = ["MIN_RATIO", "best_strings", "slot_options"]

MIN_RATIO = 1e-4
"""Per slot, characters scoring below this fraction of the slot's best are not explored."""


def slot_options(dist: Mapping[str, float], allowed: frozenset[str], repair_weight: float) -> list[tuple[str, float]]:
    """Characters a slot can take with their scores, best first (see `SLOT_REPAIR`)."""
    scores: dict[str, float] = {}
    for raw, p in dist.items():
        if not isinstance(p, (int, float)) or not math.isfinite(p) or p <= 0:
            continue  # a NaN or negative score from a model carries no evidence
        ch = raw.upper()
        p = min(float(p), 1.0)
        if ch in allowed:
            scores[ch] = max(scores.get(ch, 0.0), p)
            continue
        for dst in SLOT_REPAIR.get(ch, ()):
            if dst in allowed and repair_weight > 0:
                scores[dst] = max(scores.get(dst, 0.0), p * repair_weight)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _format_best(
    positions: Sequence[Mapping[str, float]], fmt: PlateFormat, width: int, repair_weight: float
) -> Iterable[tuple[str, float]]:
    beam: list[tuple[str, float]] = [("", 1.0)]
    for dist, allowed in zip(positions, fmt.slots, strict=True):
        options = slot_options(dist, allowed, repair_weight)
        if not options:
            return []
        # A character far below the slot's best cannot reach the top strings: cut it early (speed).
        floor = options[0][1] * MIN_RATIO
        options = [o for o in options[:width] if o[1] >= floor]
        grown = ((prefix + ch, score * p) for prefix, score in beam for ch, p in options)
        beam = heapq.nlargest(width, grown, key=lambda kv: kv[1])
    return [(text, score * fmt.prior) for text, score in beam if fmt.matches(text)]


def best_strings(
    positions: Sequence[Mapping[str, float]],
    fmts: Sequence[PlateFormat],
    *,
    k: int = 5,
    repair_weight: float = 0.05,
) -> list[Candidate]:
    """The `k` best strings over `fmts` of the same length as `positions`; one entry per text."""
    if k <= 0 or not positions:
        return []
    width = max(6 * k, 32)
    best: dict[str, Candidate] = {}
    for fmt in fmts:
        if len(fmt.slots) != len(positions):
            continue
        for text, score in _format_best(positions, fmt, width, repair_weight):
            # A text that fits two formats (CD1234: old car and diplomatic) keeps the better one;
            # fmts come by priority, so on a tie the preferred format stays.
            if text not in best or score > best[text].score:
                best[text] = Candidate(text=text, score=score, format=fmt.name)
    order = {f.name: f.priority for f in fmts}
    ranked = sorted(best.values(), key=lambda c: (-c.score, order[c.format], c.text))
    return ranked[:k]
