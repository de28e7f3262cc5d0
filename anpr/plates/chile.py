"""Chilean plate (PPU) grammar: formats, normalization, parsing and random valid plates.

Facts and sources: `shared/reference/chile-plates.md` and the Registro Civil manual "Instructivo para
validación de patentes" (RC manual). Rules marked UNCERTAIN rest on secondary sources only; they are
module constants or off-by-default switches so they can be changed in one place.

Format names (priority order; lower wins when a string fits several):
  car          LLLL·NN  since 2007, the 18 consonants, 01-99 (RC manual p.10 letter table)
  car_old      LL·NNNN  1985-2007, series from the RC manual's table pp.3-9, 1000-9999
  moto         LLL·NN   since 2007, consonants + M, N, Q (RC manual pp.14, 17)
  moto_old     LL·NNN   UNCERTAIN; also fits the 3-digit Carabineros/provisional forms (RP076, PR180)
  car_decreed  LLLLL·N  UNCERTAIN, decreed for ~2029, off by default (decreed=True turns it on)
  moto_decreed LLLL·N   UNCERTAIN, decreed for ~2027, off by default
  special_old  CD/CC/CH/OI/PR/RP/AP/CB/LA/AG + 4 digits (diplomatic, consular, ...), UNCERTAIN
  police       [ABCJMZ]NNNN (e.g. Carabineros Z3853), UNCERTAIN
  trailer      LLL·NNN  light trailers (municipal), UNCERTAIN
The search behind `constrained_candidates` lives in `anpr.plates.decode`, the confusion tables in
`anpr.plates.confusion` (CONFUSABLE is re-exported here).
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from anpr.plates.checkdigit import check_digit
from anpr.plates.confusion import CONFUSABLE, REPAIR_WEIGHT
from anpr.plates.decode import best_strings
from anpr.plates.old_series import OLD_SERIES
from anpr.types import Candidate

__all__ = [
    "CONFUSABLE",
    "CONSONANTS",
    "ParseResult",
    "PlateFormat",
    "constrained_candidates",
    "format_by_name",
    "formats",
    "normalize",
    "one_char_dropped",
    "parse",
    "plate_distance",
    "random_plate",
]

CONSONANTS: Final[str] = "BCDFGHJKLPRSTVWXYZ"
"""The 18 letters of post-2007 car plates: no vowels, no M, N, Ñ, Q (RC manual p.10 table)."""
MOTO_LETTERS: Final[str] = CONSONANTS + "MNQ"
"""Motorcycle letters: later series add M, N, Q (RC manual p.17)."""
LETTERS: Final[str] = string.ascii_uppercase
DIGITS: Final[str] = string.digits
ALPHABET: Final[frozenset[str]] = frozenset(LETTERS + DIGITS)

ALLOW_DOUBLE_ZERO: Final[bool] = False
"""UNCERTAIN: whether a new car/motorcycle plate can end in 00 (chile-plates.md: 01-99, 00 unconfirmed)."""
OLD_CAR_MIN_NUMBER: Final[int] = 1000
"""UNCERTAIN: old car numbers run 1000-9999 (the RC manual p.2 names the format 'AA.1000')."""
SPECIAL_PREFIXES: Final[frozenset[str]] = frozenset(
    # UNCERTAIN (secondary sources): diplomatic CD, consular CC, CH; international body OI;
    # provisional PR; Carabineros RP, AP, CB, LA; tow AG.
    {"CD", "CC", "CH", "OI", "PR", "RP", "AP", "CB", "LA", "AG"}
)
POLICE_LETTERS: Final[str] = "ABCJMZ"
"""UNCERTAIN: first letter of the one-letter police/ambulance plates ([ABCJMZ]NNNN)."""

Family = Literal["car", "moto", "special", "decreed"]


@dataclass(frozen=True, slots=True)
class PlateFormat:
    """One plate format: allowed characters per slot, plus an optional extra rule."""

    name: str
    display: str
    slots: tuple[frozenset[str], ...]
    family: Family
    priority: int
    prior: float = 1.0
    """Score multiplier in constrained decoding (how common the format is on the road)."""
    uncertain: bool = False
    rule: Callable[[str], str | None] | None = field(default=None, compare=False, repr=False)
    """Extra check on a slot-valid string: returns the reason it fails, or None."""

    def __len__(self) -> int:
        return len(self.slots)

    def why_not(self, text: str) -> str | None:
        """The reason `text` does not fit this format, or None if it does."""
        if len(text) != len(self.slots):
            return f"{self.name} ({self.display}) has {len(self.slots)} characters, got {len(text)}"
        for i, (ch, allowed) in enumerate(zip(text, self.slots, strict=True)):
            if ch not in allowed:
                kind = "a digit" if allowed <= ALPHABET - set(LETTERS) else "a letter"
                choices = "".join(sorted(allowed))
                return f"{self.name} ({self.display}): {ch!r} at position {i + 1} is not allowed ({kind} of {choices})"
        reason = None if self.rule is None else self.rule(text)
        return None if reason is None else f"{self.name} ({self.display}): {reason}"

    def matches(self, text: str) -> bool:
        return self.why_not(text) is None


def _slots(*groups: tuple[str, int]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(chars) for chars, count in groups for _ in range(count))


def _not_zero(digits: int) -> Callable[[str], str | None]:
    def rule(text: str) -> str | None:
        if ALLOW_DOUBLE_ZERO or set(text[-digits:]) != {"0"}:
            return None
        return f"number {text[-digits:]} is never issued"

    return rule


def _old_car_rule(text: str) -> str | None:
    if text[:2] not in OLD_SERIES:
        return f"series {text[:2]} is not in the Registro Civil's old-format table (RC manual pp.3-9)"
    if int(text[2:]) < OLD_CAR_MIN_NUMBER:
        return f"old-format numbers start at {OLD_CAR_MIN_NUMBER}, got {text[2:]}"
    return None


def _special_rule(text: str) -> str | None:
    if text[:2] in SPECIAL_PREFIXES:
        return None
    return f"prefix {text[:2]} is not a special prefix ({', '.join(sorted(SPECIAL_PREFIXES))})"


_FIRST = frozenset(p[0] for p in SPECIAL_PREFIXES)
_SECOND = frozenset(p[1] for p in SPECIAL_PREFIXES)

_ALL_FORMATS: Final[tuple[PlateFormat, ...]] = (
    PlateFormat("car", "LLLL·NN", _slots((CONSONANTS, 4), (DIGITS, 2)), "car", 0, 1.0, False, _not_zero(2)),
    PlateFormat("car_old", "LL·NNNN", _slots((LETTERS, 2), (DIGITS, 4)), "car", 1, 0.6, False, _old_car_rule),
    PlateFormat("moto", "LLL·NN", _slots((MOTO_LETTERS, 3), (DIGITS, 2)), "moto", 2, 0.5, False, _not_zero(2)),
    PlateFormat("moto_old", "LL·NNN", _slots((LETTERS, 2), (DIGITS, 3)), "moto", 3, 0.2, True, _not_zero(3)),
    PlateFormat("car_decreed", "LLLLL·N", _slots((CONSONANTS, 5), (DIGITS, 1)), "decreed", 4, 0.3, True),
    PlateFormat("moto_decreed", "LLLL·N", _slots((MOTO_LETTERS, 4), (DIGITS, 1)), "decreed", 5, 0.2, True),
    PlateFormat(
        "special_old", "LL·NNNN", (_FIRST, _SECOND, *_slots((DIGITS, 4))), "special", 6, 0.1, True, _special_rule
    ),
    PlateFormat("police", "L·NNNN", _slots((POLICE_LETTERS, 1), (DIGITS, 4)), "special", 7, 0.1, True),
    PlateFormat("trailer", "LLL·NNN", _slots((LETTERS, 3), (DIGITS, 3)), "special", 8, 0.1, True, _not_zero(3)),
)
_BY_NAME: Final[dict[str, PlateFormat]] = {f.name: f for f in _ALL_FORMATS}


def formats(*, decreed: bool = False, special: bool = True) -> tuple[PlateFormat, ...]:
    """The active formats, by priority. The decreed ones are UNCERTAIN and off unless asked for."""
    return tuple(f for f in _ALL_FORMATS if (decreed or f.family != "decreed") and (special or f.family != "special"))


def format_by_name(name: str) -> PlateFormat:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown plate format {name!r}; valid names: {', '.join(_BY_NAME)}") from None


# Look-alikes that NFKC does not fold: Cyrillic and Greek capitals (lowercase is upper()-ed first).
_LOOKALIKES: Final[dict[str, str]] = {
    **dict(zip("АВСЕНІЈКМОРЅТУХ", "ABCEHIJKMOPSTYX", strict=True)),  # Cyrillic
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),  # Greek
    "Ø": "0",  # slashed zero, common in plate fonts and typed lists
}
_SEPARATORS: Final[frozenset[str]] = frozenset(" \t·.-_–—‐‑−•∙⋅‧･/")


def normalize(text: str) -> str:
    """Uppercase `[A-Z0-9]` text: separators dropped, look-alikes mapped; ValueError(reason) if unusable."""
    if not text or not text.strip():
        raise ValueError("empty input")
    out: list[str] = []
    for i, raw in enumerate(unicodedata.normalize("NFKC", text)):
        if raw in _SEPARATORS:
            continue
        up = raw.upper()
        up = _LOOKALIKES.get(up, up)
        if len(up) != 1 or up not in ALPHABET:
            name = unicodedata.name(raw, "unnamed")
            raise ValueError(f"character {raw!r} ({name}) at position {i + 1} cannot be mapped to A-Z or 0-9")
        out.append(up)
    if not out:
        raise ValueError("no letters or digits, only separators")
    return "".join(out)


def one_char_dropped(a: str, b: str) -> bool:
    """Whether one of the two is the other with exactly one character left out (DRL87 / DRWL87).

    A reader dropping one character of a far or blurred plate is the commonest error the grammar cannot
    repair: the shorter string often fits another format (RTF09, a motorcycle, for the car RTFJ09)."""
    if abs(len(a) - len(b)) != 1:
        return False
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def plate_distance(a: str, b: str) -> int:
    """Substitutions between two plates of the same length (Hamming); 1 for one dropped character;
    otherwise the longer length."""
    if len(a) != len(b):
        return 1 if one_char_dropped(a, b) else max(len(a), len(b))
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


@dataclass(frozen=True, slots=True)
class ParseResult:
    text: str
    format: str
    valid: bool
    reason: str | None
    check_digit: str | None


_CHECK_DIGIT_FORMATS: Final = frozenset({"car", "car_old", "moto"})


def parse(text: str, *, decreed: bool = False) -> ParseResult:
    """Normalize `text` and classify it; `reason` says why it is invalid (or unusable: text "")."""
    try:
        norm = normalize(text)
    except ValueError as exc:
        return ParseResult("", "unknown", False, f"unusable input: {exc}", None)
    active = formats(decreed=decreed)
    for fmt in active:
        if fmt.matches(norm):
            digit = check_digit(norm) if fmt.name in _CHECK_DIGIT_FORMATS else None
            return ParseResult(norm, fmt.name, True, None, digit)
    return ParseResult(norm, "unknown", False, _explain(norm, active), None)


def _explain(text: str, active: tuple[PlateFormat, ...]) -> str:
    same_len = [f for f in active if len(f) == len(text)]
    if not same_len:
        lengths = ", ".join(str(n) for n in sorted({len(f) for f in active}))
        return f"{len(text)} characters fit no plate format (lengths {lengths})"

    # The format with the fewest forbidden characters is the one the text was most likely meant to be.
    def misses(fmt: PlateFormat) -> int:
        return sum(c not in s for c, s in zip(text, fmt.slots, strict=True))

    best = min(same_len, key=lambda f: (misses(f), f.priority))
    return best.why_not(text) or "fits no plate format"


def random_plate(rng: random.Random, format_name: str = "car") -> str:
    """A random plate valid in `format_name` (deterministic for a seeded `rng`)."""
    fmt = format_by_name(format_name)
    pools = [sorted(s) for s in fmt.slots]
    if fmt.name == "car_old":
        pools[0], pools[1] = [], []  # draw the series from the table below
    for _ in range(1000):
        chars = [rng.choice(pool) if pool else "" for pool in pools]
        if fmt.name == "car_old":
            chars[0] = rng.choice(sorted(OLD_SERIES))
        text = "".join(chars)
        if fmt.matches(text):
            return text
    raise RuntimeError(f"could not draw a valid {format_name} plate")  # pragma: no cover


def constrained_candidates(
    positions: Sequence[Mapping[str, float]],
    *,
    k: int = 5,
    decreed: bool = False,
    special: bool = True,
    repair_weight: float = REPAIR_WEIGHT,
) -> list[Candidate]:
    """Up to `k` best strings that fit an active format of ``len(positions)`` characters, best first.

    `positions` holds, per character position, candidate characters with probabilities (what a
    CTC/attention decoder yields). A string's score is the product of its per-slot probabilities times
    its format's prior. A character the slot forbids lends `repair_weight` of its probability to its
    look-alikes that the slot allows (O -> 0 in a digit slot), so a decoder that gave the right
    character no mass at all still yields a valid string, ranked below honest ones.
    """
    return best_strings(positions, formats(decreed=decreed, special=special), k=k, repair_weight=repair_weight)
