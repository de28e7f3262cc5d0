"""Check digits against the Registro Civil manual's worked examples and cl-forge's test values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anpr.plates.checkdigit import check_digit, mod11, numeric_value
from anpr.plates.old_series import MANUAL_TYPOS, OLD_SERIES

# RC manual pp.11-13 (new car format): plate, NV, digit.
MANUAL_CARS = [
    ("BBBB01", "111101", "9"),
    ("BBBC01", "111201", "5"),
    ("BBBR01", "111201", "5"),
    ("BBBZ01", "111901", "K"),
    ("BBCB01", "112101", "4"),
    ("ZZZZ99", "999999", "K"),
]
# RC manual pp.15-19 (motorcycles); plate digits as printed (NN) and as registered (0NN).
MANUAL_MOTOS = [
    ("BBC11", "112011", "5"),  # p.16 caso 1
    ("BBZ11", "119011", "3"),  # p.16 caso 2 (the manual's text says "Residuo (23/11)", its SP is 63)
    ("YYN55", "222055", "5"),  # p.19 caso 1, second letter table
    ("ZBQ10", "314010", "5"),  # p.19 caso 2, second letter table
]


@pytest.mark.parametrize(("plate", "nv", "digit"), MANUAL_CARS)
def test_manual_new_car_examples(plate: str, nv: str, digit: str) -> None:
    assert numeric_value(plate) == nv
    assert check_digit(plate) == digit


@pytest.mark.parametrize(("plate", "nv", "digit"), MANUAL_MOTOS)
def test_manual_motorcycle_examples(plate: str, nv: str, digit: str) -> None:
    assert numeric_value(plate) == nv
    assert check_digit(plate) == digit
    registry_form = plate[:3] + "0" + plate[3:]
    assert check_digit(registry_form) == digit


def test_manual_second_table_series_numbers() -> None:
    # RC manual p.17-18: ND of MMN, YYN, ZBQ and NV of MMN.010.
    assert numeric_value("MMN10") == "002010"
    assert numeric_value("YYN55") == "222055"
    assert numeric_value("ZBQ10") == "314010"
    # A Y/Z series without M, N, Q keeps the first table (ZZZ -> 999, p.15).
    assert numeric_value("ZZZ99") == "999099"


def test_manual_mod11_cases() -> None:
    # RC manual p.12: caso 1 123456 -> 0, caso 2 111101 -> 9, caso 3 111901 -> K.
    assert mod11("123456") == "0"
    assert mod11("111101") == "9"
    assert mod11("111901") == "K"


@pytest.mark.parametrize(
    ("rut", "digit"),
    [("12345678", "5"), ("11222333", "9"), ("9000000", "4"), ("1", "9"), ("18305086", "9"), ("14682029", "8")],
)
def test_cl_forge_run_values(rut: str, digit: str) -> None:
    # mschiaff/cl-forge tests/test_verify.py: the plate rule is the RUN's módulo 11.
    assert mod11(rut) == digit


def test_cl_forge_plate_values() -> None:
    # cl-forge tests/test_verify.py and rust/verify/src/utils.rs doc tests.
    assert check_digit("PHZF55") == "K"
    assert int(numeric_value("PHZF55") or "x") == 69455
    assert numeric_value("BR1234") == "0871234"


def test_old_format_uses_series_code() -> None:
    # RC manual p.2: d7 d6 d5 from the table (AA -> 001), then the 4 digits, weights 2..7,2.
    assert numeric_value("AA1000") == "0011000"
    assert check_digit("AA1000") == mod11("0011000")
    # 0011000: 0*2+0*3+0*4+1*5+1*6+0*7+0*2 = 11 -> R=0 -> 11-0 = 11 -> '0'
    assert check_digit("AA1000") == "0"


def test_series_table_is_complete_and_consistent() -> None:
    assert len(OLD_SERIES) == 582
    assert sorted(OLD_SERIES.values()) == list(range(1, 583))
    assert OLD_SERIES["AA"] == 1 and OLD_SERIES["DW"] == 582 and OLD_SERIES["BR"] == 87
    # the manual's pp.7-8 misprints are corrected by +100 into the gap they leave
    assert len(MANUAL_TYPOS) == 36
    assert all(OLD_SERIES[s] == used == printed + 100 for s, printed, used in MANUAL_TYPOS)
    assert OLD_SERIES["XJ"] + 1 == OLD_SERIES["XK"] == OLD_SERIES["XL"] - 1


@pytest.mark.parametrize("plate", ["", "AEIO12", "BB12", "ÑBCD12", "BBCL1", "12BBCL", "QQ1234", "BBCLX2"])
def test_no_digit_where_undefined(plate: str) -> None:
    assert check_digit(plate) is None


def test_mod11_rejects_non_digits() -> None:
    with pytest.raises(ValueError, match="digit string"):
        mod11("12A")


# Independent reference: the manual's formulas written out literally (explicit weight lists and
# table lookups), not sharing code with the implementation.
_REF_CAR = {
    c: d for c, d in zip("BCDFGHJKLPRSTVWXYZ", [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2, 3, 4, 5, 6, 7, 8, 9], strict=True)
}


def _ref_digit(digits: list[int]) -> str:
    weights = [2, 3, 4, 5, 6, 7, 2][: len(digits)]
    s = sum(w * d for w, d in zip(weights, reversed(digits), strict=True))
    r = 11 - (s % 11)
    return {11: "0", 10: "K"}.get(r, str(r))


def _ref_car(plate: str) -> str:
    nd = sum(_REF_CAR[c] * 10 ** (3 - i) for i, c in enumerate(plate[:4]))
    nv = nd * 100 + int(plate[4:])
    return _ref_digit([int(c) for c in f"{nv:06d}"])


# RC manual p.17, second table for motorcycle series with M, N, Q.
_REF_MOTO2 = dict(
    zip("BCDFGHJKLMNPQRSTVWXYZ", [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2, 3, 4, 5, 6, 7, 8, 9, 0, 2, 3], strict=True)
)


def _ref_moto(plate: str) -> str:
    table = _REF_MOTO2 if any(c in "MNQ" for c in plate[:3]) else _REF_CAR
    nd = sum(table[c] * 10 ** (2 - i) for i, c in enumerate(plate[:3]))
    nv = nd * 1000 + int(plate[3:])
    return _ref_digit([int(c) for c in f"{nv:06d}"])


def _ref_old(plate: str) -> str:
    nv = OLD_SERIES[plate[:2]] * 10_000 + int(plate[2:])
    return _ref_digit([int(c) for c in f"{nv:07d}"])


consonant = st.sampled_from("BCDFGHJKLPRSTVWXYZ")


@given(st.lists(consonant, min_size=4, max_size=4), st.integers(1, 99))
def test_new_car_matches_reference(letters: list[str], number: int) -> None:
    plate = "".join(letters) + f"{number:02d}"
    assert check_digit(plate) == _ref_car(plate)


@given(st.sampled_from(sorted(OLD_SERIES)), st.integers(0, 9999))
def test_old_car_matches_reference(series: str, number: int) -> None:
    plate = f"{series}{number:04d}"
    assert check_digit(plate) == _ref_old(plate)


@given(st.lists(st.sampled_from("BCDFGHJKLPRSTVWXYZMNQ"), min_size=3, max_size=3), st.integers(1, 99))
def test_motorcycle_matches_reference(letters: list[str], number: int) -> None:
    plate = "".join(letters) + f"{number:02d}"
    assert check_digit(plate) == _ref_moto(plate)
