"""The format prior from a crop's shape: which plate formats a crop can hold.

Chilean car plates are 360 × 130 mm, one row (aspect about 2.8); motorcycle plates are 145 × 120 mm, two
rows (about 1.2), and light trailers share the motorcycle layout (shared/reference/chile-plates.md). A
reader that drops one character of a wide car plate often lands on a valid motorcycle string (DLPR50 read
LPR50, RTFJ09 read RTF09) with every remaining character sure; the shape of the crop rules that out
before the grammar is asked. A near-square crop whose glyphs stand in two rows likewise cannot be a
one-row car plate. A near-square crop with one row found (small, blurred, tilted) keeps every format.
And six glyphs in one line leave no room for a five-character reading, whatever the format.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

from anpr.plates.chile import PlateFormat

Layout = Literal["one_row", "two_row", "any"]

ONE_ROW_MIN_ASPECT: Final[float] = 1.9
"""A crop wider than this for its height is a one-row plate. Motorcycle crops (aspect ~1.2 plus the
margins) stay well below it, car crops (~2.8) well above; the same bound as `preprocess.two_row_shaped`."""

TWO_ROW_FORMATS: Final[frozenset[str]] = frozenset({"moto", "moto_decreed", "trailer"})
ONE_ROW_FORMATS: Final[frozenset[str]] = frozenset({"car", "car_old", "car_decreed", "special_old"})
"""The rest is allowed in any layout: police (plate size not known) and the old `LL·NNN` motorcycle and
provisional plates, which were single-row (models/plate-reader.md: chile_web's EF407)."""

ONE_ROW_MIN_CHARS: Final[int] = 5
"""Glyphs in one line that make a plate one-row: two-row plates hold at most four characters a row."""
FULL_LINE: Final[int] = 6
"""Glyphs in one line that leave no room for a five-character reading: the reader dropped one (CC0415 read
CC041 or C0415, DN6702 read DN670)."""


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


def formats_for(layout: Layout, fmts: Iterable[PlateFormat], line: int = 0) -> tuple[PlateFormat, ...]:
    """The formats of `fmts` a crop of `layout`, with at most `line` glyphs in one line, may hold, in order."""
    out: list[PlateFormat] = []
    for fmt in fmts:
        if layout == "two_row" and fmt.name in ONE_ROW_FORMATS:
            continue
        if layout == "one_row" and fmt.name in TWO_ROW_FORMATS:
            continue
        if line >= FULL_LINE and len(fmt) < FULL_LINE:
            continue
        out.append(fmt)
    return tuple(out)
