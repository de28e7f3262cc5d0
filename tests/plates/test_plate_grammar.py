"""The plate grammar: formats, normalization, parse, random plates (hypothesis properties included)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anpr.plates import chile
from anpr.plates.chile import CONSONANTS, format_by_name, formats, normalize, parse, random_plate

ALL_NAMES = [f.name for f in formats(decreed=True, special=True)]


def test_consonants_are_the_18_letters() -> None:
    assert CONSONANTS == "BCDFGHJKLPRSTVWXYZ"
    assert len(set(CONSONANTS)) == 18 and not set(CONSONANTS) & set("AEIOUMNQ")


def test_formats_switches_and_order() -> None:
    default = [f.name for f in formats()]
    assert default == ["car", "car_old", "moto", "moto_old", "special_old", "police", "trailer"]
    assert "car_decreed" in ALL_NAMES and "moto_decreed" in ALL_NAMES
    assert [f.name for f in formats(special=False)] == ["car", "car_old", "moto", "moto_old"]
    prios = [f.priority for f in formats(decreed=True)]
    assert prios == sorted(prios)


def test_format_by_name_lists_valid_names() -> None:
    assert format_by_name("car").display == "LLLL·NN"
    with pytest.raises(ValueError, match="valid names: car, car_old, moto"):
        format_by_name("truck")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BBCL12", "BBCL12"),
        ("bbcl12", "BBCL12"),
        ("BB·CL·12", "BBCL12"),
        ("bb-cl 12", "BBCL12"),
        ("BB.CL.12", "BBCL12"),
        ("ＢＢＣＬ１２", "BBCL12"),  # fullwidth
        ("ВВСL12", "BBCL12"),  # Cyrillic Ве, Ве, Эс
        ("ΒΒCL12", "BBCL12"),  # Greek Beta
        ("gr 13-99", "GR1399"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("", "empty"), ("   ", "empty"), ("·-·", "only separators"), ("BBÑL12", "cannot be mapped"), ("BB?L12", "'?'")],
)
def test_normalize_rejects_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize(raw)


@pytest.mark.parametrize(
    ("text", "fmt", "digit"),
    [
        ("BBCL12", "car", "0"),
        ("PHZF55", "car", "K"),
        ("GR1399", "car_old", None),  # digit checked below against the series table
        ("BBC11", "moto", "5"),
        ("YYN55", "moto", "5"),
        ("DP848", "moto_old", None),
        ("CC0415", "special_old", None),  # below the old-car range: a consular plate
        ("Z3853", "police", None),
        ("BCD123", "trailer", None),
    ],
)
def test_parse_valid(text: str, fmt: str, digit: str | None) -> None:
    result = parse(text)
    assert (result.text, result.format, result.valid, result.reason) == (text, fmt, True, None)
    if digit is not None:
        assert result.check_digit == digit


def test_old_car_digit_and_series_table() -> None:
    assert parse("GR1399").check_digit is not None
    bad = parse("QM1234")  # QM is not a series in the RC manual's table
    assert not bad.valid and bad.reason is not None and "series QM" in bad.reason


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("BACL12", "'A' at position 2"),
        ("BBCL00", "00 is never issued"),
        ("BB12", "fit no plate format"),
        ("BBBBBBBBB", "fit no plate format"),
        ("CHILE", "position"),
    ],
)
def test_parse_invalid_has_reason(text: str, fragment: str) -> None:
    result = parse(text)
    assert not result.valid and result.format == "unknown" and result.check_digit is None
    assert result.reason is not None and fragment in result.reason


def test_parse_unusable() -> None:
    result = parse("")
    assert (result.text, result.valid) == ("", False)
    assert result.reason is not None and result.reason.startswith("unusable input")


def test_decreed_off_by_default() -> None:
    assert not parse("BCDFG1").valid
    decreed = parse("BCDFG1", decreed=True)
    assert decreed.valid and decreed.format == "car_decreed"
    assert parse("BCDF1", decreed=True).format == "moto_decreed"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_random_plate_fits_its_format(name: str) -> None:
    rng = random.Random(7)
    plates = [random_plate(rng, name) for _ in range(50)]
    assert all(format_by_name(name).matches(p) for p in plates)
    assert len(set(plates)) > 10
    assert random_plate(random.Random(3), name) == random_plate(random.Random(3), name)


@given(st.sampled_from(ALL_NAMES), st.integers(0, 2**32))
def test_every_valid_plate_round_trips(name: str, seed: int) -> None:
    plate = random_plate(random.Random(seed), name)
    shown = "·".join([plate[:2], plate[2:4], plate[4:]]).lower()  # as typed off a plate
    result = parse(shown, decreed=True)
    assert result.valid and result.text == plate
    # the format found is the plate's own or a preferred one that also fits it
    assert format_by_name(result.format).priority <= format_by_name(name).priority


@given(st.text(alphabet=CONSONANTS + "AEIOU", min_size=4, max_size=4), st.integers(0, 99))
def test_no_vowel_in_a_new_car_plate(letters: str, number: int) -> None:
    text = f"{letters}{number:02d}"
    fits = format_by_name("car").matches(text)
    if set(letters) & set("AEIOU"):
        assert not fits
        assert parse(text, decreed=True).format != "car"
    else:
        assert fits == (number != 0)


def test_confusable_is_symmetric_and_has_the_classic_pairs() -> None:
    table = chile.CONFUSABLE
    for a, others in table.items():
        assert a not in others
        assert all(a in table[b] for b in others)
    for pair in ["KX", "VY", "PR", "CG", "HK", "0D", "1J", "8B", "5S", "2Z", "6G"]:
        assert pair[1] in table[pair[0]]
