"""The real-glyph bank: characters cut from labelled train plates, and renders that use it only when asked."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from helpers.plates import shared_plates

from anpr.synth import glyphs, real_glyphs
from anpr.synth.crops import make_crop


@pytest.fixture(scope="module")
def bank() -> dict[str, list[np.ndarray]]:
    train = shared_plates("train")
    if train is None:
        pytest.skip("no shared train photos on this machine")
    return real_glyphs.build_bank(Path(train))


def test_bank_holds_real_glyphs_of_the_plate_characters(bank: dict[str, list[np.ndarray]]) -> None:
    assert len(bank) >= 20, sorted(bank)  # consonants and digits of the gate camera's plates
    assert set(bank) <= set("0123456789BCDFGHJKLPRSTVWXYZ")  # new car plates: no vowels, no M, N, Q
    for masks in bank.values():
        for m in masks:
            assert m.dtype == np.uint8 and m.shape[0] >= 8
            assert m.max() == 255 and (m == 0).any()  # ink and ground both present


def test_renders_are_unchanged_unless_the_bank_is_on(bank: dict[str, list[np.ndarray]]) -> None:
    before = make_crop(random.Random("bank:0")).image
    glyphs.use_real_bank(bank, 0.0)
    assert np.array_equal(make_crop(random.Random("bank:0")).image, before)
    try:
        glyphs.use_real_bank(bank, 1.0)
        font = glyphs.pick_font(random.Random(1))
        assert font.startswith(glyphs.REAL)
        ch = next(iter(bank))
        assert any(np.array_equal(glyphs._raw_glyph(font, ch), m) for m in bank[ch])
        assert glyphs._raw_glyph(font, "A").shape[0] > 1  # a vowel no new plate has: the machine face
        assert not np.array_equal(make_crop(random.Random("bank:0")).image, before)
    finally:
        glyphs.use_real_bank({}, 0.0)
    assert np.array_equal(make_crop(random.Random("bank:0")).image, before)


def test_a_line_that_does_not_split_into_its_characters_gives_nothing() -> None:
    blank = np.full((60, 240, 3), 230, np.uint8)
    assert real_glyphs.plate_glyphs(blank, (10.0, 10.0, 230.0, 50.0), "ABCD12") == []
