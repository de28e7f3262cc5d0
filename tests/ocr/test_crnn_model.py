"""The shipped plate recognizer (models/plate-recognizer.onnx), for real, on rendered plates.

Skipped until `anpr train recognizer --ship` has put the model in models/ (see plate-recognizer.md).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from anpr.ocr.config import ReaderConfig
from anpr.ocr.crnn import CrnnReader
from anpr.synth.plate import render_plate
from anpr.types import Detection

MODEL = Path(__file__).resolve().parents[2] / "models" / "plate-recognizer.onnx"

pytestmark = pytest.mark.skipif(not MODEL.is_file(), reason=f"{MODEL.name} not shipped yet (anpr train recognizer)")


@pytest.fixture(scope="module")
def shipped() -> CrnnReader:
    return CrnnReader(ReaderConfig(backend="crnn", crnn_model=str(MODEL), threads=2))


@pytest.mark.parametrize(("text", "fmt"), [("GKSB78", "car"), ("HT8020", "car_old"), ("DRJY32", "car")])
def test_reads_a_rendered_car_plate_in_a_scene(shipped: CrnnReader, text: str, fmt: str) -> None:
    plate = render_plate(text, random.Random(7), layout="car", style="private", worn=False).image
    h, w = plate.shape[:2]
    scene = np.full((h + 120, w + 120, 3), 90, np.uint8)
    scene[60 : 60 + h, 60 : 60 + w] = plate
    read = shipped.read(scene, Detection((60.0, 60.0, 60.0 + w, 60.0 + h), 0.9))
    assert read is not None and (read.text, read.format) == (text, fmt)
    assert read.confidence > 0.5 and read.text not in {a.text for a in read.alternatives}


def test_reads_a_two_row_motorcycle_plate_in_order(shipped: CrnnReader) -> None:
    plate = render_plate("PRT45", random.Random(3), layout="moto", style="private", worn=False)
    read = shipped.read_crop(plate.image)
    assert read is not None and (read.text, read.format) == ("PRT45", "moto")
