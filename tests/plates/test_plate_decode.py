"""Constrained decoding on hand-made per-position probability tables."""

from __future__ import annotations

from anpr.plates.chile import constrained_candidates, parse


def dist(*pairs: tuple[str, float]) -> dict[str, float]:
    return dict(pairs)


def test_brief_example_o_in_digit_slot() -> None:
    pos = [{"B": 0.9}, {"B": 0.9}, {"C": 0.8}, {"L": 0.9}, {"1": 0.9}, {"O": 0.6, "0": 0.3}]
    out = constrained_candidates(pos)
    assert out[0].text == "BBCL10" and out[0].format == "car"
    assert abs(out[0].score - 0.9 * 0.9 * 0.8 * 0.9 * 0.9 * 0.3) < 1e-9
    assert all(parse(c.text).valid for c in out)


def test_repair_without_mass_on_the_right_char() -> None:
    # The decoder put all mass on 'O' and 'I': the look-alike repair still yields the digit, ranked low.
    pos = [{"B": 1.0}, {"B": 1.0}, {"C": 1.0}, {"L": 1.0}, {"I": 1.0}, {"O": 1.0}]
    out = constrained_candidates(pos, special=False)
    assert out[0].text == "BBCL10"
    assert out[0].score < 0.01


def test_digit_in_letter_slot_becomes_letter() -> None:
    pos = [{"8": 0.9, "B": 0.1}, {"B": 0.9}, {"C": 0.9}, {"L": 0.9}, {"1": 0.9}, {"2": 0.9}]
    assert constrained_candidates(pos)[0].text == "BBCL12"


def test_ranked_and_k_limited() -> None:
    pos = [{"B": 0.9}, {"B": 0.9}, {"C": 0.5, "G": 0.4}, {"L": 0.9}, {"1": 0.9}, {"2": 0.6, "7": 0.4}]
    out = constrained_candidates(pos, k=3)
    assert [c.text for c in out] == ["BBCL12", "BBGL12", "BBCL17"]
    assert out[0].score > out[1].score > out[2].score
    assert constrained_candidates(pos, k=0) == []


def test_chile_legend_is_rejected() -> None:
    pos = [{c: 0.95} for c in "CHILE"]
    assert constrained_candidates(pos) == []


def test_old_series_table_constrains_pairs() -> None:
    # 'QM' and 'GM' are not series (RC manual pp.3-9); QR and GR are.
    pos = [{"Q": 0.9, "G": 0.1}, {"M": 0.9, "R": 0.1}, {"1": 0.9}, {"3": 0.9}, {"9": 0.9}, {"9": 0.9}]
    out = constrained_candidates(pos, special=False)
    assert [c.text for c in out] == ["QR1399", "GR1399"]
    assert {c.format for c in out} == {"car_old"}


def test_wrong_length_or_garbage_gives_nothing() -> None:
    assert constrained_candidates([]) == []
    assert constrained_candidates([{"B": 1.0}] * 3) == []
    assert constrained_candidates([{"B": float("nan")}] * 6) == []


def test_decreed_only_when_asked() -> None:
    pos = [{c: 0.9} for c in "BCDFG"] + [{"1": 0.9}]
    # without the decreed formats the only way to fit is the G -> 6 repair into a car plate
    assert [c.text for c in constrained_candidates(pos)] == ["BCDF61"]
    best = constrained_candidates(pos, decreed=True)[0]
    assert (best.text, best.format) == ("BCDFG1", "car_decreed")
