"""Telling plates apart: reader confusions are one plate, a fleet's next plate is another; looks of crops."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.track import draw_frame, make_read

from anpr.track.identity import look_of, other_plate, similarity


@pytest.mark.parametrize(
    ("a", "b", "other"),
    [
        ("BBCL12", "BBCL12", False),
        ("PRKK21", "PRKX21", False),  # K/X: a reader's confusion, one character
        ("RTFJ09", "RTF109", False),  # J/1 changes the format (a trailer), still one confused character
        ("DRWL87", "DRL87", False),  # one character dropped on a far plate
        ("BBCL12", "BBCL13", True),  # 2/3 is no confusion: a fleet's next plate
        ("PRKK21", "PRXX21", True),  # two characters apart, however confusable
        ("BBCL12", "HZTV41", True),
        ("BBCL12", "BB1234", True),  # another format and three characters apart
        ("SGPT72", "KC4521", True),
    ],
)
def test_other_plate(a: str, b: str, other: bool) -> None:
    assert other_plate(make_read(a), make_read(b)) is other
    assert other_plate(make_read(b), make_read(a)) is other  # symmetric


def test_the_same_plate_a_frame_later_looks_alike_and_another_does_not() -> None:
    box, moved = (200.0, 200.0, 320.0, 240.0), (204.0, 202.0, 326.0, 243.0)
    first = look_of(draw_frame([(box, "BBCL12")]), box)
    again = look_of(draw_frame([(moved, "BBCL12")]), moved)
    other = look_of(draw_frame([(box, "HZTV41")]), box)
    empty = look_of(draw_frame([]), box)
    assert first is not None and again is not None and other is not None and empty is not None
    assert similarity(first, first) == pytest.approx(1.0, abs=1e-5)
    assert similarity(first, again) > 0.8
    assert similarity(first, other) < similarity(first, again)
    assert abs(similarity(first, empty)) < 0.2  # a featureless crop correlates with nothing
    assert np.isfinite(similarity(empty, empty))


def test_look_of_a_box_outside_the_frame_is_none() -> None:
    image = draw_frame([])
    assert look_of(image, (700.0, 500.0, 760.0, 530.0)) is None  # wholly right of / below a 640x480 frame
    assert look_of(image, (10.0, 10.0, 11.0, 40.0)) is None  # under 2 px wide
