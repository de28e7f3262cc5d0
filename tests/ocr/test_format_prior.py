"""The format prior on real and rendered crops: a wide one-row crop that lost a character cannot come back
as an exact-looking motorcycle plate (issue 23: DLPR50 read LPR50 at 0.96, RTFJ09 read RTF09), and a
two-row motorcycle crop still reads as one.

Each case is also read by the same reader with the prior switched off, to show the crop reproduces the
failure: without it the dropped-character string comes back as a motorcycle plate.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from anpr.evaluate.runner import load_labels
from anpr.ocr import preprocess
from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import PpocrReader
from anpr.plates.layout import TWO_ROW_FORMATS
from anpr.synth.plate import Layout, render_plate
from anpr.types import Image

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "plate-reader-int8.onnx"


def _train_root() -> Path | None:
    for cand in (os.environ.get("ANPR_PLATES_TRAIN"), ROOT.parent / "shared/plates/train", "/work/shared/plates/train"):
        if cand and (Path(cand) / "chile_gate_overlay" / "labels.csv").is_file():
            return Path(cand)
    return None


@pytest.fixture(scope="module")
def readers() -> tuple[PpocrReader, PpocrReader]:
    cfg = ReaderConfig(model=str(MODEL), threads=2, calibration=None)
    with_prior, without = PpocrReader(cfg), PpocrReader(cfg)
    without.format_sets = dict.fromkeys(without.format_sets, without.format_sets["any", False])
    return with_prior, without


def _render(text: str, layout: Layout) -> tuple[Image, tuple[tuple[int, int, int, int], ...]]:
    plate = render_plate(
        text, random.Random(f"prior:{text}"), layout=layout, style="private", px_per_mm=1.0, worn=False
    )
    return plate.image, plate.char_boxes


@pytest.mark.parametrize("text", ["DLPR50", "RTFJ09", "DNPL67"])
def test_rendered_car_plate_missing_its_first_letter_is_no_motorcycle(
    readers: tuple[PpocrReader, PpocrReader], text: str
) -> None:
    image, boxes = _render(text, "car")
    cut = image[:, boxes[1][0] - 3 :]  # the first letter gone, as when it falls outside a tight box
    assert cut.shape[1] > 1.9 * cut.shape[0]
    with_prior, without = readers
    before = without.read_crop(cut)
    assert before is not None and before.text == text[1:] and before.format in TWO_ROW_FORMATS  # the failure
    after = with_prior.read_crop(cut)
    assert after is None or (after.format not in TWO_ROW_FORMATS and after.text != text[1:])


def test_real_gate_crops_missing_their_first_letter_are_no_motorcycles(
    readers: tuple[PpocrReader, PpocrReader],
) -> None:
    root = _train_root()
    if root is None:
        pytest.skip("shared/plates/train not found (set ANPR_PLATES_TRAIN to the train sets folder)")
    folder = root / "chile_gate_overlay"
    with_prior, without = readers
    motos_without = 0
    crops = 0
    for item in load_labels(folder / "labels.csv")[:16]:
        g = item.plates[0]
        loaded = cv2.imread(str(folder / item.file))
        if g.box is None or g.quality != "ok" or loaded is None:
            continue
        x1, y1, x2, y2 = (int(v) for v in g.box)
        w = x2 - x1
        cut = np.asarray(loaded[y1:y2, x1 + w // 5 : x2 + w // 30], dtype=np.uint8)
        crops += 1
        before = without.read_crop(cut)
        motos_without += before is not None and before.format in TWO_ROW_FORMATS and before.text == g.text[1:]
        after = with_prior.read_crop(cut)
        assert after is None or (after.format not in TWO_ROW_FORMATS and after.text != g.text[1:]), (item.file, after)
    assert crops >= 10 and motos_without >= crops // 2  # the crops do reproduce the failure


@pytest.mark.parametrize("text", ["LPR50", "RTF09", "BBC12"])
def test_two_row_motorcycle_render_reads_as_a_motorcycle(readers: tuple[PpocrReader, PpocrReader], text: str) -> None:
    image, _ = _render(text, "moto")
    gray = preprocess.to_gray(image)
    assert preprocess.two_row_shaped(image) and len(preprocess.split_rows(gray)) == 2
    read = readers[0].read_crop(image)
    assert read is not None and read.text == text and read.format == "moto"


def test_a_full_plate_read_short_keeps_no_five_character_reading(readers: tuple[PpocrReader, PpocrReader]) -> None:
    """DN6702 read DN670 (night clip), CC0415 read CC041: all six glyphs are in the crop, the reader lost
    one. A six-glyph line leaves only the six-character formats."""
    image, _ = _render("DN6702", "car")
    assert preprocess.longest_text_row(image) == 6
    formats, _names = readers[0].format_sets["any", True]
    assert formats and all(len(f.slots) == 6 for f in formats)
    read = readers[0].read_crop(image)
    assert read is not None and read.text == "DN6702"


def _dark_on_light_line(image: Image) -> int:
    """The longest line the dark-on-light glyph pass alone finds (the count before light-on-dark plates)."""
    gray = preprocess.to_gray(image)
    return max((len(r) for r in preprocess._rows_of(preprocess.glyphs(gray).boxes)), default=0)


@pytest.mark.parametrize("text", ["DN6702", "GKSB78", "KC4521"])
def test_white_characters_on_a_coloured_ground_count_as_a_full_line(text: str) -> None:
    """Radio taxis (white on orange) and the blue consular plates (CC★0415, read CC041 at 1.00 on chile_web
    while the dark-blob count saw one glyph): their glyphs are found in the other polarity."""
    image = render_plate(text, random.Random(f"polarity:{text}"), layout="car", style="radiotaxi", px_per_mm=1.0,
                         worn=False).image  # fmt: skip
    assert preprocess.dark_ground(preprocess.to_gray(image))
    assert _dark_on_light_line(image) < 6  # what the count saw before
    assert preprocess.longest_text_row(image) == 6


def test_a_real_white_on_blue_plate_counts_its_line_and_white_plates_keep_their_count() -> None:
    """Real train crops: OpenALPR's W·053011 (white on blue) counts its seven characters in the other
    polarity; every white Chilean gate plate is seen as a light ground, so its count is the one before."""
    root = _train_root()
    if root is None or not (root / "openalpr_eu" / "labels.csv").is_file():
        pytest.skip("shared/plates/train not found (set ANPR_PLATES_TRAIN to the train sets folder)")
    blue = next(i for i in load_labels(root / "openalpr_eu" / "labels.csv") if i.plates[0].text == "W053011")
    crops = [(root / "openalpr_eu", blue)]
    crops += [(root / "chile_gate_overlay", i) for i in load_labels(root / "chile_gate_overlay" / "labels.csv")]
    seen = 0
    for folder, item in crops:
        g = item.plates[0]
        loaded = cv2.imread(str(folder / item.file))
        if g.box is None or loaded is None:
            continue
        x1, y1, x2, y2 = (int(v) for v in g.box)
        cut = np.asarray(loaded[y1:y2, x1:x2], dtype=np.uint8)
        if item is blue:
            assert preprocess.dark_ground(preprocess.to_gray(cut))
            assert _dark_on_light_line(cut) < 6 <= preprocess.longest_text_row(cut, deskew=False)
        else:
            seen += 1
            assert not preprocess.dark_ground(preprocess.to_gray(cut)), item.file
    assert seen >= 50


def test_a_one_row_five_character_plate_still_reads() -> None:
    """The old single-row LL·NNN plates (chile_web's EF407) must keep their five-character reading."""
    image = render_plate("EF407", random.Random("polarity:EF407"), layout="car", style="private", px_per_mm=1.0,
                         worn=False).image  # fmt: skip
    assert preprocess.longest_text_row(image) == 5
