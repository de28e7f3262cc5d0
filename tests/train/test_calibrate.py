"""`anpr train calibrate`'s fit: a monotone table over [0, 1] that never claims certainty, on real reads
of rendered plates; eval folders refused."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from anpr.core.onnx_model import file_sha256
from anpr.ocr.calibration import load
from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import PpocrReader
from anpr.train.calibrate import CalibrateError, Sample, fit, render_samples, set_samples, summary

MODEL = Path(__file__).resolve().parents[2] / "models" / "plate-reader-int8.onnx"


def test_fit_is_monotone_covers_the_unit_interval_and_matches_the_rates(tmp_path: Path) -> None:
    rng = random.Random(3)
    # A raw score that is overconfident: reads at raw s are exact with probability s**3.
    samples = [Sample("x", s, rng.random() < s**3) for s in (rng.random() for _ in range(4000))]
    calib = fit(samples, "m.onnx", "ab" * 32)
    assert calib.x[0] == 0.0 and calib.x[-1] == 1.0
    assert list(calib.y) == sorted(calib.y) and calib.y[0] > 0.0 and calib.y[-1] < 1.0
    for s in (0.3, 0.6, 0.9):
        assert calib(s) == pytest.approx(s**3, abs=0.08)
    report = summary(samples, calib)["all"]
    assert report.raw is not None and report.calibrated is not None
    assert report.calibrated["ece"] < 0.02 < report.raw["ece"]
    path = tmp_path / "c.json"
    path.write_text(calib.to_json({"fitted_on": {"sets": ["x"]}}))
    assert load(path) == calib


def test_too_few_reads_and_eval_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CalibrateError, match="only 3 reads"):
        fit([Sample("x", 0.5, True)] * 3)
    reader = PpocrReader(ReaderConfig(model=str(MODEL), calibration=None))
    with pytest.raises(CalibrateError, match="eval set"):
        list(set_samples(reader, tmp_path / "plates" / "eval" / "chile_gate"))
    with pytest.raises(CalibrateError, match=r"no labels\.csv"):
        list(set_samples(reader, tmp_path))


def test_renders_give_raw_scores_paired_with_exactness() -> None:
    reader = PpocrReader(ReaderConfig(model=str(MODEL), calibration=None))
    samples = list(render_samples(reader, 12, seed=5))
    assert len(samples) >= 8 and all(s.source == "renders" for s in samples)
    assert any(s.exact for s in samples)
    assert all(0.0 <= s.raw <= 1.0 for s in samples)
    assert file_sha256(MODEL) == load(MODEL.with_suffix(".calibration.json")).model_sha256
    assert np.isfinite([s.raw for s in samples]).all()
