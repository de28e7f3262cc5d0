"""Multi-frame consensus: one plate read from the noisy reads of a passage.

Frigate's plate clustering groups similar strings and lets the largest group win, ties broken by
confidence (frigate/data_processing/common/license_plate/mixin.py). Here the grammar does the grouping:
reads of the same format and length are aligned slot by slot, the largest group wins, and each slot is
voted by character confidence. Each read's alternatives vote too, with a lower weight. The per-slot
vote shares then go through the grammar's constrained search, so the consensus always fits the format
(the old-series table, the 00 rule) and its runners-up become the alternatives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from anpr.plates.chile import format_by_name
from anpr.plates.decode import best_strings
from anpr.types import Candidate, PlateRead

__all__ = ["Tally", "tally", "vote"]

_UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Tally:
    """The consensus and how much evidence stands behind it."""

    read: PlateRead
    group_reads: int
    """Reads in the winning (format, length) group: the reads that were aligned and voted."""
    total_reads: int
    """Reads with a valid format that were considered."""

    def confident(self, *, min_reads: int, hit_confidence: float) -> bool:
        return self.group_reads >= min_reads and self.read.confidence >= hit_confidence


@dataclass(slots=True)
class _Group:
    fmt: str
    length: int
    reads: list[PlateRead]
    weight: float = 0.0


def _char_confidences(read: PlateRead) -> tuple[float, ...]:
    if len(read.char_confidences) == len(read.text):
        return tuple(_clamp(c) for c in read.char_confidences)
    return (_clamp(read.confidence),) * len(read.text)  # a reader that gave no per-char scores


def _clamp(x: float) -> float:
    return min(max(x, 0.0), 1.0) if math.isfinite(x) else 0.0


def tally(
    reads: Sequence[PlateRead], *, weights: Sequence[float] | None = None, alternative_weight: float = 0.3
) -> Tally | None:
    """Vote `reads` into one consensus read; None when no read has a valid format.

    `weights` (one per read, default 1) scale each read's votes: the tracker gives small, far-away
    crops less say, since a reader is often confidently wrong on a 40-px plate and right at 80 px.
    """
    if weights is None:
        weights = [1.0] * len(reads)
    if len(weights) != len(reads):
        raise ValueError(f"{len(weights)} weights for {len(reads)} reads")
    groups: dict[tuple[str, int], _Group] = {}
    read_weight: dict[int, float] = {}
    for read, w in zip(reads, weights, strict=True):
        if read.format == _UNKNOWN or not read.text:
            continue
        group = groups.setdefault((read.format, len(read.text)), _Group(read.format, len(read.text), []))
        group.reads.append(read)
        read_weight[id(read)] = _clamp(w)
        group.weight += _clamp(read.confidence) * _clamp(w)
    if not groups:
        return None
    # The group with the most weighted evidence wins; ties by read count, then format name (deterministic).
    best = max(groups.values(), key=lambda g: (round(g.weight, 9), len(g.reads), g.fmt))
    fmt = format_by_name(best.fmt)
    votes: list[dict[str, float]] = [{} for _ in range(best.length)]
    agree: list[dict[str, float]] = [{} for _ in range(best.length)]  # prod(1 - conf) per char
    for read in best.reads:
        rw = read_weight[id(read)]
        for i, (ch, conf) in enumerate(zip(read.text, _char_confidences(read), strict=True)):
            votes[i][ch] = votes[i].get(ch, 0.0) + conf * rw
            agree[i][ch] = agree[i].get(ch, 1.0) * (1.0 - conf)
        for alt in read.alternatives:
            if alt.format == best.fmt and len(alt.text) == best.length:
                w = alternative_weight * _clamp(alt.score) * rw
                for i, ch in enumerate(alt.text):
                    votes[i][ch] = votes[i].get(ch, 0.0) + w
    shares = [{ch: v / total for ch, v in slot.items()} for slot in votes if (total := sum(slot.values())) > 0]
    if len(shares) != best.length:
        return None  # every read in the group had zero confidence: no evidence to vote with
    ranked = best_strings(shares, (fmt,), k=5, repair_weight=0.0)
    if not ranked:
        return None
    text = ranked[0].text
    # A slot is as sure as its vote share times the combined evidence of the reads that saw that char.
    char_conf = tuple(shares[i].get(ch, 0.0) * (1.0 - agree[i].get(ch, 1.0)) for i, ch in enumerate(text))
    n_reads = sum(len(g.reads) for g in groups.values())
    others = [_group_best(g, n_reads) for g in groups.values() if g is not best]
    alternatives: list[Candidate] = []
    for cand in sorted(ranked[1:] + others, key=lambda c: -c.score):
        if cand.text != text and all(cand.text != a.text for a in alternatives):
            alternatives.append(cand)
    source = max((r for r in best.reads if r.text == text), key=lambda r: r.confidence, default=best.reads[0])
    consensus = PlateRead(
        text=text,
        confidence=min(char_conf),
        char_confidences=char_conf,
        raw_text=source.raw_text,
        format=best.fmt,
        alternatives=tuple(alternatives),
    )
    return Tally(read=consensus, group_reads=len(best.reads), total_reads=n_reads)


def _group_best(group: _Group, n_reads: int) -> Candidate:
    # A losing group's best read, scored by the share of reads its group won.
    top = max(group.reads, key=lambda r: r.confidence)
    return Candidate(text=top.text, score=_clamp(top.confidence) * len(group.reads) / n_reads, format=top.format)


def vote(reads: Sequence[PlateRead], *, alternative_weight: float = 0.3) -> PlateRead | None:
    """The consensus read of `reads` (see `tally` for the evidence behind it)."""
    result = tally(reads, alternative_weight=alternative_weight)
    return None if result is None else result.read
