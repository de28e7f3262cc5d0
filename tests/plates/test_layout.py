"""The format prior from a crop's shape: which formats a one-row, two-row or unknown crop may hold."""

from __future__ import annotations

import pytest

from anpr.plates.chile import formats
from anpr.plates.layout import formats_for, layout_of


@pytest.mark.parametrize(
    ("w", "h", "rows", "line", "want"),
    [
        (280, 100, 1, 0, "one_row"),  # a car crop (~2.8)
        (120, 100, 2, 0, "two_row"),  # a motorcycle crop, its two rows found
        (120, 100, 1, 2, "any"),  # near-square, rows not separated (small or blurred motorcycle)
        (182, 100, 1, 6, "one_row"),  # a loose car crop: near-square, but six glyphs in one line
        (182, 100, 1, 4, "any"),
        (300, 100, 2, 0, "two_row"),  # rows found win over the aspect
    ],
)
def test_layout_of(w: int, h: int, rows: int, line: int, want: str) -> None:
    assert layout_of(w, h, rows, line) == want


def test_one_row_drops_two_row_formats_and_keeps_the_old_single_row_ones() -> None:
    active = formats(decreed=True)
    one = {f.name for f in formats_for("one_row", active)}
    assert {"moto", "moto_decreed", "trailer"}.isdisjoint(one)
    assert {"car", "car_old", "car_decreed", "special_old", "police", "moto_old"} <= one


def test_a_full_line_of_glyphs_leaves_no_five_character_format() -> None:
    active = formats(decreed=True)
    for shape in ("one_row", "any"):
        kept = formats_for(shape, active, line=6)  # type: ignore[arg-type]
        assert kept and all(len(f) == 6 for f in kept)
    assert {"moto_old", "police"} <= {f.name for f in formats_for("one_row", active, line=5)}


def test_two_row_drops_one_row_car_formats_and_any_keeps_all() -> None:
    active = formats(decreed=True)
    two = {f.name for f in formats_for("two_row", active)}
    assert two == {"moto", "moto_old", "moto_decreed", "police", "trailer"}
    assert formats_for("any", active) == active
