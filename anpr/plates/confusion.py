"""OCR confusion tables for Chilean plates.

`CONFUSABLE` (symmetric) lists characters a reader mistakes for each other; the hotlist's fuzzy match
uses it. Confusions between two valid consonants (K/X, V/Y, P/R, C/G, H/K) no grammar can fix, which is
why fuzzy matching exists (chile-plates.md, "OCR confusions worth repairing by slot").

`SLOT_REPAIR` (directional) is what constrained decoding may substitute when a slot forbids the
character the model saw: in digit slots O/Q/D->0, I/L/J->1, Z->2, S->5, G->6, T->7, B->8; in letter
slots 8->B, 5->S, 2->Z, 6->G, 7->T, 0->D, 1->J/L/T (chile-plates.md), plus O->D, I like 1, and A<->4.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["CONFUSABLE", "REPAIR_WEIGHT", "SLOT_REPAIR"]

_PAIRS: Final[tuple[str, ...]] = (
    # valid consonant vs valid consonant: only the reader or a fuzzy match can resolve these
    "KX", "VY", "PR", "CG", "HK", "MN", "VW", "FP", "BD",
    # letter vs digit (the grammar resolves them by slot where the format allows only one)
    "0D", "0O", "0Q", "DO", "OQ", "1I", "1J", "1L", "1T", "IL", "8B", "5S", "2Z", "6G", "7T", "4A",
    "3B", "38", "68",
)  # fmt: skip


def _symmetric(pairs: tuple[str, ...]) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for a, b in (tuple(pair) for pair in pairs):
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in sorted(table.items())}


CONFUSABLE: Final[Mapping[str, frozenset[str]]] = MappingProxyType(_symmetric(_PAIRS))

SLOT_REPAIR: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # into digit slots
        "O": ("0", "D"), "Q": ("0",), "D": ("0",), "U": ("0",), "I": ("1", "J", "L", "T"), "L": ("1",),
        "J": ("1",), "Z": ("2",), "S": ("5",), "G": ("6",), "T": ("7",), "B": ("8",), "A": ("4",),
        # into letter slots
        "8": ("B",), "5": ("S",), "2": ("Z",), "6": ("G",), "7": ("T",), "0": ("D",),
        "1": ("J", "L", "T"), "4": ("A",),
    }
)  # fmt: skip

REPAIR_WEIGHT: Final[float] = 0.05
"""Share of a forbidden character's probability lent to its allowed look-alikes during decoding."""
