"""PPU check digit (dígito verificador), per the Registro Civil manual.

Source: Registro Civil, "Instructivo para validación de patentes" (the RC manual):
- old format LL·NNNN: p.2 (weights 2,3,4,5,6,7,2 from the right, as the RUN) + series table pp.3-9;
- new car format LLLL·NN: pp.10-13;
- new motorcycle format LLL·NN: pp.14-16, and the second letter table for M, N, Q series: pp.17-19.

The digit is not printed on the plate (only on the registration papers), so it never repairs an OCR
read; it validates hotlist entries and queries that carry one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from anpr.plates.old_series import OLD_SERIES

__all__ = [
    "CAR_LETTER_DIGITS",
    "MOTO_MNQ_LETTER_DIGITS",
    "check_digit",
    "mod11",
    "numeric_value",
]

CAR_LETTER_DIGITS: Final[Mapping[str, str]] = MappingProxyType(
    # RC manual p.10 (cars); p.14 repeats it for motorcycles.
    dict(zip("BCDFGHJKLPRSTVWXYZ", "123456789023456789", strict=True))
)
MOTO_MNQ_LETTER_DIGITS: Final[Mapping[str, str]] = MappingProxyType(
    # RC manual p.17: for motorcycle series that start with M, N or Q, or Y/Z series containing them.
    dict(zip("BCDFGHJKLMNPQRSTVWXYZ", "123456789023456789023", strict=True))
)
_MNQ: Final = frozenset("MNQ")
_DIGITS: Final = frozenset("0123456789")


def mod11(number: str) -> str:
    """Módulo 11 of a digit string: weights 2..7 cycling from the right; 11 -> '0', 10 -> 'K'.

    RC manual p.2 (7 digits: weights 2,3,4,5,6,7,2) and p.12 (6 digits); the same rule as the RUN.
    """
    if not number or not set(number) <= _DIGITS:
        raise ValueError(f"mod11 needs a non-empty digit string, got {number!r}")
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(number)))
    result = 11 - total % 11
    return "0" if result == 11 else "K" if result == 10 else str(result)


def _moto_table(series: str) -> Mapping[str, str]:
    # p.17 names series starting with M/N/Q and Y/Z series that contain M/N/Q. Any other series with
    # M/N/Q cannot be mapped by the p.14 table at all, so it gets the p.17 table too (UNCERTAIN).
    return MOTO_MNQ_LETTER_DIGITS if _MNQ & set(series) else CAR_LETTER_DIGITS


def numeric_value(plate: str) -> str | None:
    """The number NV whose módulo 11 is the check digit, or None if the plate has no defined digit.

    `plate` is normalized text (`anpr.plates.chile.normalize`). Shapes: LLLLNN (new car), LLLNN or the
    registry's LLL0NN (new motorcycle), LLNNNN with a series from the table (old car).
    """
    n = len(plate)
    if n == 6 and plate[:4].isalpha() and plate[4:].isdigit():
        if not all(c in CAR_LETTER_DIGITS for c in plate[:4]):
            return None
        # p.11: NV = ND * 100 + nn, ND the four mapped letters.
        return "".join(CAR_LETTER_DIGITS[c] for c in plate[:4]) + plate[4:]
    if (n == 5 or (n == 6 and plate[3] == "0")) and plate[:3].isalpha() and plate[3:].isdigit():
        table = _moto_table(plate[:3])
        if not all(c in table for c in plate[:3]):
            return None
        # p.15 / p.18: NV = ND * 1000 + 0nn (the registry stores the two plate digits as 0nn).
        return "".join(table[c] for c in plate[:3]) + "0" + plate[-2:]
    if n == 6 and plate[:2].isalpha() and plate[2:].isdigit():
        code = OLD_SERIES.get(plate[:2])
        # p.2: d7 d6 d5 are the series code from the table, then the four digits.
        return None if code is None else f"{code:03d}{plate[2:]}"
    return None


def check_digit(plate: str) -> str | None:
    """The check digit ('0'-'9' or 'K') of a normalized plate, None where the manual defines none.

    >>> check_digit("BBBB01"), check_digit("PHZF55"), check_digit("YYN55")
    ('9', 'K', '5')
    """
    nv = numeric_value(plate)
    return None if nv is None else mod11(nv)
