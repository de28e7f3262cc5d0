"""The calibration table: applied by interpolation, every malformed file refused with its name."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from anpr.core.onnx_model import ModelError, file_sha256
from anpr.ocr.calibration import FORMAT, Calibration, CalibrationError, default_path, load, resolve
from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import PpocrReader

MODEL = Path(__file__).resolve().parents[2] / "models" / "plate-reader-int8.onnx"


def _write(path: Path, **body: object) -> Path:
    path.write_text(json.dumps({"format": FORMAT, "x": [0.0, 0.5, 1.0], "y": [0.2, 0.6, 0.99], **body}))
    return path


def test_interpolates_between_knots_and_holds_the_ends(tmp_path: Path) -> None:
    calib = load(_write(tmp_path / "c.json"))
    assert calib(0.25) == pytest.approx(0.4)
    assert calib(0.0) == pytest.approx(0.2) and calib(1.0) == pytest.approx(0.99)
    assert Calibration()(0.37) == 0.37  # no table: the raw score


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"format": "other"}, "not a reader calibration"),
        ({"x": [0.0, 0.6, 0.5]}, "`x` must not decrease"),
        ({"y": [0.2, 1.5, 0.99]}, "number in [0, 1]"),
        ({"y": [0.2, 0.6]}, "`x` has 3 values but `y` has 2"),
        ({"x": "0 1"}, "`x` must be a list"),
        ({"y": [0.2, float("nan"), 0.9]}, "number in [0, 1]"),
        ({"model_sha256": 5}, "`model_sha256` must be a string"),
    ],
)
def test_malformed_tables_are_refused_by_name(tmp_path: Path, body: dict[str, object], says: str) -> None:
    path = _write(tmp_path / "bad.json", **body)
    with pytest.raises(CalibrationError, match=str(path)) as err:
        load(path)
    assert says in str(err.value)


def test_not_json_and_oversized(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{")
    with pytest.raises(CalibrationError, match="not JSON"):
        load(tmp_path / "a.json")
    (tmp_path / "b.json").write_bytes(b" " * 300_000)
    with pytest.raises(CalibrationError, match="larger than"):
        load(tmp_path / "b.json")


def test_resolve_default_missing_named_missing_and_wrong_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = tmp_path / "m.onnx"
    with caplog.at_level(logging.WARNING):
        assert resolve("", model, "ab" * 32).identity
    assert "no calibration table" in caplog.text and str(default_path(model)) in caplog.text
    assert resolve(None, model, "ab" * 32).identity
    with pytest.raises(CalibrationError, match="cannot read"):
        resolve(str(tmp_path / "nope.json"), model, "ab" * 32)
    _write(default_path(model), model="m.onnx", model_sha256="cd" * 32)
    with pytest.raises(CalibrationError, match=r"fitted for m\.onnx"):
        resolve("", model, "ab" * 32)
    assert resolve("", model, "cd" * 32)(0.5) == pytest.approx(0.6)


@pytest.mark.parametrize("model", [MODEL, MODEL.with_name("plate-reader.onnx")])
def test_the_shipped_tables_fit_their_models(model: Path) -> None:
    shipped = load(default_path(model))
    assert shipped.model_sha256 == file_sha256(model) and not shipped.identity
    assert list(shipped.y) == sorted(shipped.y) and shipped.x[0] == 0.0 and shipped.x[-1] == 1.0


def test_a_table_for_another_model_stops_the_reader(tmp_path: Path) -> None:
    bad = _write(tmp_path / "c.json", model_sha256="00" * 32)
    with pytest.raises(ModelError, match=r"reader\.calibration"):
        PpocrReader(ReaderConfig(model=str(MODEL), calibration=str(bad)))
