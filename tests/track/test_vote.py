"""Consensus voting on sequences of noisy reads."""

from __future__ import annotations

from helpers.track import make_read

from anpr.plates.chile import parse
from anpr.track.vote import tally, vote
from anpr.types import Candidate


def test_five_noisy_reads_recover_the_plate() -> None:
    # BBCL12 read 5 times; two frames each got one (less confident) character wrong, in different slots.
    reads = [
        make_read("BBCL12"),
        make_read("BBGL12", (0.9, 0.9, 0.5, 0.9, 0.9, 0.9)),
        make_read("BBCL12", 0.85),
        make_read("BBCL17", (0.9, 0.9, 0.9, 0.9, 0.9, 0.4)),
        make_read("BBCL12", 0.8),
    ]
    result = tally(reads)
    assert result is not None
    assert result.read.text == "BBCL12" and result.read.format == "car"
    assert result.group_reads == 5 and result.total_reads == 5
    assert result.confident(min_reads=2, hit_confidence=0.8)
    assert len(result.read.char_confidences) == 6
    assert result.read.confidence == min(result.read.char_confidences)
    # the runner-up strings are the misreads' characters, valid and best first
    alts = [a.text for a in result.read.alternatives]
    assert {"BBGL12", "BBCL17"} <= set(alts)
    assert all(parse(a).valid for a in alts)
    scores = [a.score for a in result.read.alternatives]
    assert scores == sorted(scores, reverse=True)


def test_alternatives_carry_weight() -> None:
    two_unsure = make_read("BBCL17", (0.9, 0.9, 0.9, 0.9, 0.9, 0.4), alts=(Candidate("BBCL12", 0.9, "car"),))
    reads = [two_unsure, two_unsure, make_read("BBCL12", (0.9, 0.9, 0.9, 0.9, 0.9, 0.6))]
    assert (vote(reads) or make_read("X")).text == "BBCL12"  # 0.6 + 2*0.3*0.9 beats 0.8
    assert (vote(reads, alternative_weight=0.0) or make_read("X")).text == "BBCL17"


def test_largest_format_group_wins() -> None:
    reads = [make_read("BBCL12"), make_read("BBCL12", 0.7), make_read("BB1212", 0.95)]
    assert parse("BB1212").format == "car_old"
    result = tally(reads)
    assert result is not None and result.read.text == "BBCL12" and result.group_reads == 2
    assert "BB1212" in [a.text for a in result.read.alternatives]


def test_consensus_always_fits_the_grammar() -> None:
    # Per-slot argmax would give QM1399, and QM is not an old-format series (RC manual pp.3-9).
    reads = [
        make_read("QR1399", (0.9, 0.6, 0.9, 0.9, 0.9, 0.9)),
        make_read("AM1399", (0.5, 0.9, 0.9, 0.9, 0.9, 0.9)),
    ]
    result = tally(reads)
    assert result is not None and result.read.text == "QR1399" and parse(result.read.text).valid
    assert not result.confident(min_reads=2, hit_confidence=0.8)  # the reads disagree


def test_disagreement_and_single_reads_are_not_confident() -> None:
    split = tally([make_read("BBCL12"), make_read("BBCL17")])
    assert split is not None and split.read.confidence < 0.6
    one = tally([make_read("BBCL12", 0.99)])
    assert one is not None and one.read.text == "BBCL12"
    assert not one.confident(min_reads=2, hit_confidence=0.8)
    assert one.confident(min_reads=1, hit_confidence=0.8)


def test_nothing_to_vote() -> None:
    assert vote([]) is None
    garbage = make_read("CHILE")
    assert garbage.format == "unknown"
    assert vote([garbage, garbage]) is None
    assert vote([make_read("BBCL12", 0.0)]) is None


def test_missing_char_confidences_fall_back_to_read_confidence() -> None:
    r = make_read("BBCL12")
    bare = type(r)(text=r.text, confidence=0.9, char_confidences=(), raw_text=r.text, format="car")
    result = tally([bare, bare])
    assert result is not None and result.read.text == "BBCL12"
    assert abs(result.read.confidence - 0.99) < 1e-9  # two agreeing reads at 0.9: 1 - 0.1 * 0.1
