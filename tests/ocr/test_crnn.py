"""The crnn reader backend's plumbing, on a committed random-weight CRNN (tests/data/crnn-random.onnx).

That model reads nothing (`anpr train recognizer-test-model` writes it): these tests check loading,
shapes, row batching, the decoding path and the errors. The trained model is tested in test_crnn_model.py.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from anpr.core.onnx_model import ModelError
from anpr.ocr import crnn
from anpr.ocr.config import ReaderConfig
from anpr.ocr.crnn import CrnnReader
from anpr.ocr.factory import build_reader
from anpr.plates import chile
from anpr.synth.plate import render_plate
from anpr.types import Detection

ROOT = Path(__file__).resolve().parents[2]
RANDOM_MODEL = ROOT / "tests" / "data" / "crnn-random.onnx"


def cfg(path: Path = RANDOM_MODEL, **kw: object) -> ReaderConfig:
    return ReaderConfig(backend="crnn", crnn_model=str(path), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def random_reader() -> CrnnReader:
    # char_floor 0: every aligned string is allowed, so even random weights give a valid-format read
    return CrnnReader(cfg(min_confidence=0.0, char_floor=0.0))


def car_plate() -> np.ndarray:
    return render_plate("GKSB78", random.Random(7), layout="car", style="private", worn=False).image


def moto_plate() -> np.ndarray:
    return render_plate("PRT45", random.Random(3), layout="moto", style="private", worn=False).image


def test_strips_give_one_row_for_a_car_and_two_for_a_motorcycle() -> None:
    one = crnn.strips(car_plate(), 32, 128)
    two = crnn.strips(moto_plate(), 32, 128)
    assert len(one) == 1 and len(two) == 2
    for s in one + two:
        assert s.dtype == np.uint8 and s.ndim == 2 and s.shape[0] == 32 and 8 <= s.shape[1] <= 128


def test_wide_rows_are_squeezed_and_inputs_padded_with_zero() -> None:
    wide = np.full((20, 400), 200, np.uint8)
    (s,) = crnn.strips(wide, 32, 128, band=False)
    assert s.shape == (32, 128)
    x = crnn.to_input([np.full((32, 50), 255, np.uint8)], 128)
    assert x.shape == (1, 1, 32, 128) and x.dtype == np.float32
    assert np.allclose(x[0, 0, :, :50], 1.0) and abs(float(x[0, 0, :, 50:].max())) < 0.01


def test_loads_with_the_sidecar_hash_and_reads_shapes_from_the_model(random_reader: CrnnReader) -> None:
    digest = (RANDOM_MODEL.parent / "crnn-random.onnx.sha256").read_text().split()[0]
    assert random_reader.version == f"crnn-random@{digest[:12]}"
    assert (random_reader.height, random_reader.width, random_reader.batched) == (32, 128, True)
    assert isinstance(build_reader(cfg()), CrnnReader)


def test_probabilities_per_row_joined_by_a_blank(random_reader: CrnnReader) -> None:
    p1 = random_reader.probabilities(car_plate())
    assert p1.shape == (32, 37) and np.allclose(p1.sum(axis=1), 1.0, atol=1e-4)
    p2 = random_reader.probabilities(moto_plate())
    assert p2.shape == (65, 37)
    assert p2[32, 0] == 1.0 and p2[32, 1:].sum() == 0.0  # the separator frame is a certain blank


def test_batched_rows_equal_rows_read_one_by_one(random_reader: CrnnReader) -> None:
    rows = crnn.strips(moto_plate(), 32, 128)
    x = crnn.to_input(rows, 128)
    both = random_reader.session.run(None, {random_reader.input_name: x})[0]
    single = [random_reader.session.run(None, {random_reader.input_name: x[i : i + 1]})[0][0] for i in range(2)]
    assert np.allclose(both, np.stack(single), atol=1e-5)


def test_decoding_path_gives_a_valid_format_read(random_reader: CrnnReader) -> None:
    plate = car_plate()
    h, w = plate.shape[:2]
    scene = np.full((h + 100, w + 100, 3), 90, np.uint8)
    scene[50 : 50 + h, 50 : 50 + w] = plate
    read = random_reader.read(scene, Detection((50.0, 50.0, 50.0 + w, 50.0 + h), 0.9))
    assert read is not None
    fmt = {f.name: f for f in chile.formats(decreed=False, special=True)}[read.format]
    assert fmt.matches(read.text) and len(read.char_confidences) == len(read.text)
    assert all(fmt.matches(a.text) or a.format != read.format for a in read.alternatives)
    assert random_reader.stats()["read"] >= 1


def test_empty_and_one_pixel_crops_are_counted(random_reader: CrnnReader) -> None:
    before = random_reader.stats().get("empty_crop", 0)
    frame = np.zeros((100, 100, 3), np.uint8)
    assert random_reader.read(frame, Detection((500.0, 500.0, 600.0, 600.0), 0.9)) is None
    assert random_reader.read_crop(np.zeros((1, 1, 3), np.uint8)) is None
    assert random_reader.stats()["empty_crop"] == before + 2


def test_strict_floor_counts_a_reason_for_every_crop() -> None:
    reader = CrnnReader(cfg())  # default floors: a random model mostly reads no plate
    for _ in range(3):
        reader.read_crop(car_plate())
    stats = reader.stats()
    assert sum(stats.get(k, 0) for k in ("read", "no_format", "low_confidence")) == 3


def test_missing_file_wrong_hash_and_missing_sidecar_are_model_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="anpr train recognizer"):
        CrnnReader(cfg(tmp_path / "nope.onnx"))
    with pytest.raises(ModelError, match="sha256"):
        CrnnReader(cfg(crnn_sha256="0" * 64))
    bare = tmp_path / "bare.onnx"
    shutil.copy(RANDOM_MODEL, bare)
    with pytest.raises(ModelError, match="sidecar"):
        CrnnReader(cfg(bare))
    assert CrnnReader(cfg(bare, crnn_sha256=None)).width == 128  # null skips the check


def test_corrupt_file_and_wrong_model_kind_are_model_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not an onnx graph" * 10)
    with pytest.raises(ModelError, match="onnxruntime cannot load the model"):
        CrnnReader(cfg(junk, crnn_sha256=None))
    with pytest.raises(ModelError, match=r"N×1×H×W"):
        CrnnReader(cfg(ROOT / "models" / "plate-reader.onnx", crnn_sha256=None))
