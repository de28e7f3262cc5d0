"""Constrained CTC decoding on hand-made probability matrices."""

from __future__ import annotations

import numpy as np
import pytest

from anpr.ocr.ctc import ALPHABET, CharMap, SlotFormat, constrained_decode, greedy_text

LABELS = ["<blank>", *ALPHABET, "o", "·", "-", " ", "中"]
CHARMAP = CharMap.from_characters(LABELS)
CONS = frozenset("BCDFGHJKLPRSTVWXYZ")
LET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
DIG = frozenset("0123456789")
FORMATS = [
    SlotFormat("car", (CONS,) * 4 + (DIG,) * 2),
    SlotFormat("car_old", (LET,) * 2 + (DIG,) * 4, np.log(0.6)),
    SlotFormat("moto", (CONS,) * 3 + (DIG,) * 2, np.log(0.5)),
]
# look-alikes a real recogniser gives some mass to: the runner-up of each character
RUNNER_UP = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S", "Z": "2", "2": "Z"}


def matrix(frames: str, p: float = 0.9) -> np.ndarray:
    """One softmax row per frame char ('_' = blank); the top class gets p, its look-alike a share."""
    rows = []
    for ch in frames:
        row = np.full(len(LABELS), 1e-6, dtype=np.float64)
        top = "<blank>" if ch == "_" else ch
        row[LABELS.index(top)] = p
        if top in RUNNER_UP:
            row[LABELS.index(RUNNER_UP[top])] = (1 - p) / 2
        row /= row.sum()
        rows.append(row)
    return np.asarray(rows, dtype=np.float32)


def test_clean_plate_is_read_with_confidences() -> None:
    out = constrained_decode(matrix("_D_R_J_Y__3_2_"), CHARMAP, FORMATS)
    assert out[0].text == "DRJY32"
    assert out[0].format == "car"
    assert len(out[0].char_confidences) == 6
    assert min(out[0].char_confidences) > 0.85
    assert [d.score for d in out] == sorted((d.score for d in out), reverse=True)


def test_letter_o_in_a_digit_slot_becomes_zero() -> None:
    probs = matrix("_D_R_J_Y_3_O_")
    assert greedy_text(probs, CHARMAP) == "DRJY3O"
    out = constrained_decode(probs, CHARMAP, FORMATS)
    assert out[0].text == "DRJY30"
    assert out[0].char_confidences[-1] < 0.1  # the repaired slot carries its low probability


def test_digit_in_a_letter_slot_is_repaired() -> None:
    assert constrained_decode(matrix("_8_R_J_Y_3_2_"), CHARMAP, FORMATS)[0].text == "BRJY32"


def test_lowercase_counts_for_its_capital() -> None:
    out = constrained_decode(matrix("_B_B_o_o_1_2_3_4"), CHARMAP, [*FORMATS, SlotFormat("x", (LET,) * 4 + (DIG,) * 4)])
    assert out[0].text == "BBOO1234"


def test_chile_legend_fits_no_format() -> None:
    assert constrained_decode(matrix("_C_H_I_L_E_"), CHARMAP, FORMATS) == []


def test_leading_and_trailing_junk_is_skipped() -> None:
    # frame edge read as I/1 before the plate, a bolt as 1 after it, the legend in the middle of nowhere
    probs = matrix("I_1_D_R_·_J_Y_-_3_2__1_I")
    assert greedy_text(probs, CHARMAP) == "I1DR·JY-321I"
    out = constrained_decode(probs, CHARMAP, FORMATS)
    assert out[0].text == "DRJY32"


def test_repeated_characters_need_a_blank_between() -> None:
    out = constrained_decode(matrix("_BB_BBB__B_B_1_0_"), CHARMAP, FORMATS)
    assert out[0].text == "BBBB10"
    # without blanks the repeats collapse: "B" + "10" fits no 4-letter format
    assert all(d.text != "BBBB10" for d in constrained_decode(matrix("BBBBBB_1_0"), CHARMAP, FORMATS))


def test_alternatives_are_valid_and_distinct() -> None:
    out = constrained_decode(matrix("_G_K_S_B_7_8_", p=0.6), CHARMAP, FORMATS, k=5)
    texts = [d.text for d in out]
    assert texts[0] == "GKSB78"
    assert len(set(texts)) == len(texts) >= 3  # only look-alikes above the floor qualify
    fmts = {f.name: f for f in FORMATS}
    for d in out:
        assert all(ch in slot for ch, slot in zip(d.text, fmts[d.format].slots, strict=True))


def test_too_few_frames_gives_nothing() -> None:
    assert constrained_decode(matrix("D_R"), CHARMAP, FORMATS) == []


def test_dictionary_without_plate_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks plate characters"):
        CharMap.from_characters(["<blank>", "a", "b"])
