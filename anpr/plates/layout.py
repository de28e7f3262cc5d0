"""The format prior from a crop's shape: which plate formats a crop can hold.

Chilean car plates are 360 × 130 mm, one row (aspect about 2.8); motorcycle plates are 145 × 120 mm, two
rows (about 1.2), and light trailers share the motorcycle layout (shared/reference/chile-plates.md). A
reader that drops one character of a wide car plate often lands on a valid motorcycle string (DLPR50 read
LPR50, RTFJ09 read RTF09) with every remaining character sure; the shape of the crop rules that out
before the grammar is asked. A near-square crop whose glyphs stand in two rows likewise cannot be a
one-row car plate. A near-square crop with one row found (small, blurred, tilted) keeps every format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Final, Literal

from anpr.plates.chile import PlateFormat

Layout = Literal["one_row", "two_row", "any"]

ONE_ROW_MIN_ASPECT: Final[float] = 1.9
"""A crop wider than this for its height is a one-row plate. Motorcycle crops (aspect ~1.2 plus the
margins) stay well below it, car crops (~2.8) well above; the same bound as `preprocess.two_row_shaped`."""

TWO_ROW_FORMATS: Final[frozenset[str]] = frozenset({"moto", "moto_old", "moto_decreed", "trailer"})
ONE_ROW_FORMATS: Final[frozenset[str]] = frozenset({"car", "car_old", "car_decreed", "special_old"})
"""The rest (police) is allowed in any layout: its plate size is not known."""

ONE_ROW_THREE_DIGIT_PREFIXES: Final[frozenset[str]] = frozenset({"PR", "RP", "AP", "CB", "LA"})
"""UNCERTAIN: provisional (PR) and Carabineros plates also come as one-row `LL·NNN` (RP076, PR180), so on
a wide crop `moto_old` survives with these prefixes only."""


ONE_ROW_MIN_CHARS: Final[int] = 5
"""Glyphs in one line that make a plate one-row: two-row plates hold at most four characters a row."""


def layout_of(width: int, height: int, rows: int, longest_row: int = 0) -> Layout:
    """The layout a crop of `width` × `height` pixels can be, with `rows` text rows found and at most
    `longest_row` glyphs in one line (a loose crop of a car plate can be near-square; its line is not)."""
    if rows >= 2:
        return "two_row"
    if height > 0 and width > ONE_ROW_MIN_ASPECT * height:
        return "one_row"
    if longest_row >= ONE_ROW_MIN_CHARS:
        return "one_row"
    return "any"


def _three_digit_one_row(text: str) -> str | None:
    if text[:2] in ONE_ROW_THREE_DIGIT_PREFIXES:
        return None
    prefixes = ", ".join(sorted(ONE_ROW_THREE_DIGIT_PREFIXES))
    return f"on a one-row plate LL·NNN needs a provisional or police prefix ({prefixes}), got {text[:2]}"


def _one_row_moto_old(fmt: PlateFormat) -> PlateFormat:
    first = frozenset(p[0] for p in ONE_ROW_THREE_DIGIT_PREFIXES)
    second = frozenset(p[1] for p in ONE_ROW_THREE_DIGIT_PREFIXES)
    base_rule = fmt.rule

    def rule(text: str) -> str | None:
        return _three_digit_one_row(text) or (None if base_rule is None else base_rule(text))

    return dataclasses.replace(fmt, slots=(first, second, *fmt.slots[2:]), rule=rule)


def formats_for(layout: Layout, fmts: Iterable[PlateFormat]) -> tuple[PlateFormat, ...]:
    """The formats of `fmts` a crop of `layout` may hold, in the given order."""
    out: list[PlateFormat] = []
    for fmt in fmts:
        if layout == "two_row" and fmt.name in ONE_ROW_FORMATS:
            continue
        if layout == "one_row" and fmt.name in TWO_ROW_FORMATS:
            if fmt.name == "moto_old":
                out.append(_one_row_moto_old(fmt))
            continue
        out.append(fmt)
    return tuple(out)
