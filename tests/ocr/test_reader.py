"""The shipped model, for real, on rendered plates."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.images import as_image

from anpr.core.onnx_model import ModelError
from anpr.ocr.config import ReaderConfig
from anpr.ocr.factory import build_reader
from anpr.ocr.ppocr import PpocrReader
from anpr.synth.plate import render_plate
from anpr.types import Detection

MODEL = Path(__file__).resolve().parents[2] / "models" / "plate-reader-int8.onnx"


def in_scene(plate: np.ndarray, pad: int = 60) -> tuple[np.ndarray, Detection]:
    """The plate pasted on a grey frame, with its detection box."""
    h, w = plate.shape[:2]
    scene = np.full((h + 2 * pad, w + 2 * pad, 3), 90, np.uint8)
    scene[pad : pad + h, pad : pad + w] = plate
    return scene, Detection((float(pad), float(pad), float(pad + w), float(pad + h)), 0.9)


@pytest.mark.parametrize(("text", "fmt"), [("GKSB78", "car"), ("HT8020", "car_old"), ("DRJY32", "car")])
def test_reads_a_rendered_car_plate(reader: PpocrReader, text: str, fmt: str) -> None:
    plate = render_plate(text, random.Random(7), layout="car", style="private", worn=False)
    scene, det = in_scene(plate.image)
    read = reader.read(scene, det)
    assert read is not None
    assert (read.text, read.format) == (text, fmt)
    assert len(read.char_confidences) == len(text) and read.confidence > 0.5
    assert read.text not in {a.text for a in read.alternatives}
    assert "CHILE" not in read.text


def test_reads_a_two_row_motorcycle_plate_in_order(reader: PpocrReader) -> None:
    plate = render_plate("PRT45", random.Random(3), layout="moto", style="private", worn=False)
    read = reader.read_crop(plate.image)
    assert read is not None and read.text == "PRT45" and read.format == "moto"


def test_empty_and_one_pixel_crops_are_counted_not_raised(reader: PpocrReader) -> None:
    before = reader.stats().get("empty_crop", 0)
    frame = np.zeros((100, 100, 3), np.uint8)
    assert reader.read(frame, Detection((10.0, 10.0, 11.0, 11.0), 0.9)) is None
    assert reader.read(frame, Detection((500.0, 500.0, 600.0, 600.0), 0.9)) is None
    assert reader.read_crop(np.zeros((1, 1, 3), np.uint8)) is None
    assert reader.stats()["empty_crop"] == before + 3


def test_text_that_is_no_plate_gives_none(reader: PpocrReader) -> None:
    import cv2

    img = np.full((80, 300, 3), 235, np.uint8)
    cv2.putText(img, "CHILE", (20, 62), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (20, 20, 20), 5)
    before = sum(reader.stats().get(k, 0) for k in ("no_format", "low_confidence"))
    assert reader.read_crop(img) is None
    assert sum(reader.stats().get(k, 0) for k in ("no_format", "low_confidence")) == before + 1


def test_missing_model_stops_startup_with_a_clear_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope.onnx"
    with pytest.raises(
        ModelError, match=r"nope\.onnx: model file not found.*anpr train extract-ppocr.*anpr train quantize-reader"
    ):
        build_reader(ReaderConfig(model=str(missing)))


def test_corrupt_model_is_refused_by_its_hash(tmp_path: Path) -> None:
    bad = tmp_path / "plate-reader.onnx"
    shutil.copy(MODEL, bad)
    shutil.copy(MODEL.with_name(MODEL.name + ".sha256"), tmp_path / "plate-reader.onnx.sha256")
    with open(bad, "r+b") as f:
        f.seek(5000)
        f.write(b"\x00" * 16)
    with pytest.raises(ModelError, match=r"sha256 [0-9a-f]{64} does not match the recorded [0-9a-f]{64}.*anpr train"):
        build_reader(ReaderConfig(model=str(bad)))
    (tmp_path / "plate-reader.onnx.sha256").unlink()  # and no hash to check against: said, not skipped
    with pytest.raises(ModelError, match="no sha256 sidecar"):
        build_reader(ReaderConfig(model=str(bad)))
    # without the hash check the damage surfaces as an unloadable or still-valid model, never a traceback
    truncated = tmp_path / "cut.onnx"
    truncated.write_bytes(MODEL.read_bytes()[:1000])
    with pytest.raises(ModelError, match="onnxruntime cannot load the model"):
        build_reader(ReaderConfig(model=str(truncated), sha256=None))


def test_version_names_the_model(reader: PpocrReader) -> None:
    assert reader.version.startswith("plate-reader-int8@3cb46ffdaf54")


def test_the_fp32_original_still_ships_and_reads_like_the_default(reader: PpocrReader) -> None:
    """plate-reader.onnx is what the int8 default is rebuilt from, and the fallback on a CPU without good
    int8 kernels: it must load by its own sidecar hash and agree with the default on a clean render."""
    fp32 = build_reader(ReaderConfig(model=str(MODEL.with_name("plate-reader.onnx"))))
    assert fp32.version.startswith("plate-reader@48fc40f24f6d")
    plate = render_plate("GKSB78", random.Random(7), layout="car", style="private", worn=False)
    scene, det = in_scene(plate.image)
    ours, theirs = reader.read(scene, det), fp32.read(scene, det)
    assert ours is not None and theirs is not None and ours.text == theirs.text == "GKSB78"


def test_a_small_motorcycle_plate_whose_rows_run_together_is_read_split_by_the_layout(reader: PpocrReader) -> None:
    """At 60 px the blobs of the two rows merge (one text row found): read whole it is garbage; the
    reader also reads it cut at the layout's row boundary and keeps the likelier plate."""
    from anpr.ocr import preprocess

    img = render_plate("PRT45", random.Random(0), layout="moto", px_per_mm=1.0, worn=False).image
    small = as_image(cv2.resize(img, (60, round(img.shape[0] * 60 / img.shape[1])), interpolation=cv2.INTER_AREA))
    assert len(preprocess.split_rows(preprocess.clahe(preprocess.to_gray(small)))) == 1
    without = PpocrReader(ReaderConfig(model=str(MODEL), two_row_cuts=()))
    plain = without.read_crop(small)
    assert plain is None or plain.text != "PRT45"
    read = reader.read_crop(small)
    assert read is not None and (read.text, read.format) == ("PRT45", "moto")
