"""The reliability table and expected calibration error, on hand-computed reads."""

from __future__ import annotations

import numpy as np
import pytest

from anpr.evaluate.reliability import format_table, reliability


def test_bins_rates_and_ece_by_hand() -> None:
    # bin [0.9, 1.0]: 0.95 x4, three exact (mean 0.95, rate 0.75); bin [0.1, 0.2): 0.15 x2, none exact.
    pairs = [(0.95, True), (0.95, True), (0.95, True), (0.95, False), (0.15, False), (0.15, False)]
    rel = reliability(pairs)
    assert rel is not None
    assert rel["bins"] == [[0.1, 0.2, 2, 0.15, 0.0], [0.9, 1.0, 4, 0.95, 0.75]]
    assert rel["ece"] == pytest.approx((4 * 0.2 + 2 * 0.15) / 6, abs=1e-4)
    assert rel["high"] == {"at": 0.9, "n": 4, "exact": 0.75, "exact_ci": [0.3006, 0.9544]}  # Wilson, 3 of 4
    assert rel["n"] == 6


def test_a_calibrated_reader_scores_zero_and_edges_fall_in_the_right_bin() -> None:
    rel = reliability([(1.0, True), (0.0, False), (0.5, True), (0.5, False)])
    assert rel is not None
    assert rel["ece"] == 0.0
    assert [b[:3] for b in rel["bins"]] == [[0.0, 0.1, 1], [0.5, 0.6, 2], [0.9, 1.0, 1]]


def test_no_reads_no_table_and_text_lines() -> None:
    assert reliability([]) is None
    rel = reliability([(0.92, True)])
    assert rel is not None
    lines = format_table(rel)
    assert "ECE 0.08" in lines[0] and "conf >= 0.9: n=1 exact 1.0 [0.2065, 1.0]" in lines[0]
    assert lines[-1].split() == ["[0.9,", "1.0]", "1", "0.920", "1.000"]


def test_the_floor_tells_a_calibrated_reader_from_an_overconfident_one_on_as_many_reads() -> None:
    # 80 reads whose exactness follows their confidence: the measured ECE is the noise a calibrated reader
    # shows, well above 0 on so few reads, and typical of the calibrated draws (a large share as large).
    rng = np.random.default_rng(7)
    conf = rng.uniform(0.05, 1.0, 80)
    calibrated = reliability(zip(conf.tolist(), (rng.random(80) < conf).tolist(), strict=True))
    assert calibrated is not None
    assert 0.02 < calibrated["ece_floor"] < 0.15
    assert calibrated["ece_p"] > 0.05
    # The same confidences on a reader right only half as often as it claims: far outside the floor's reach.
    over = reliability(zip(conf.tolist(), (rng.random(80) < conf / 2).tolist(), strict=True))
    assert over is not None
    assert over["ece"] > 2 * over["ece_floor"] and over["ece_p"] < 0.01
    # Reproducible: the draws come from a fixed seed.
    again = reliability(zip(conf.tolist(), (np.random.default_rng(7).random(80) < conf).tolist(), strict=True))
    assert again is not None and again["ece_floor"] == calibrated["ece_floor"]
