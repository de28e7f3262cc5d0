"""The Python API (`from anpr import PlateReader`) on frames of the sample clips, scored by their truth sidecars."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from helpers.integration import SAMPLES

import anpr
from anpr import Plate, PlateReader
from anpr.app.build import StartupError
from anpr.app.config import AppConfig, ConfigError
from anpr.track.boxes import iou
from anpr.types import Image

Box = tuple[float, float, float, float]
# One frame has no vote of several frames behind it: only plates this wide in the truth are expected to be
# read exactly from a single frame (smaller ones are what the tracker's vote is for).
MIN_WIDTH = 60
EVERY = 15  # frames scored: one in this many of those that qualify (each read costs ~50 ms)


def _truth_frames(clip: str) -> Iterator[tuple[int, Image, dict[str, Box]]]:
    """(frame number, frame, {plate: box}) for frames where the truth lists plates, all at least MIN_WIDTH px wide."""
    data = json.loads((SAMPLES / f"{clip}.truth.json").read_text(encoding="utf-8"))
    boxes: dict[int, dict[str, Box]] = {}
    for plate in data["plates"]:
        for b in plate["boxes"]:
            x1, y1, x2, y2 = (float(v) for v in b["box"])
            boxes.setdefault(int(b["frame"]), {})[plate["text"]] = (x1, y1, x2, y2)
    wanted = sorted(i for i, bs in boxes.items() if min(b[2] - b[0] for b in bs.values()) >= MIN_WIDTH)[::EVERY]
    cap = cv2.VideoCapture(str(SAMPLES / f"{clip}.mp4"))
    try:
        for i in range(max(wanted) + 1):
            ok, frame = cap.read()
            assert ok, f"{clip}: frame {i} could not be decoded"
            if i in wanted:
                yield i, np.asarray(frame, dtype=np.uint8), boxes[i]
    finally:
        cap.release()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> PlateReader:
    """Built with the defaults from a folder outside the project: the shipped models must still be found."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("elsewhere"))
        return PlateReader()


def _matching(plates: list[Plate], text: str, box: Box) -> list[Plate]:
    return [p for p in plates if p.text == text and iou(p.box, box) >= 0.5]


@pytest.mark.slow
def test_reads_every_plate_of_the_day_clip_and_nothing_else(reader: PlateReader) -> None:
    scored = 0
    for i, frame, truth in _truth_frames("gantry_day"):
        plates = reader.read(frame)
        for text, box in truth.items():
            assert _matching(plates, text, box), f"frame {i}: {text} at {box} not read; got {plates}"
        extra = [p for p in plates if not any(iou(p.box, box) > 0.1 for box in truth.values())]
        assert not extra, f"frame {i}: plates where the truth has none: {extra}"
        scored += 1
    assert scored >= 3


def test_reads_the_near_plates_of_the_patrol_clip(reader: PlateReader) -> None:
    """The patrol car's clip has plates the truth leaves out (part out of the frame, too small): recall only."""
    scored = 0
    for i, frame, truth in _truth_frames("patrol"):
        plates = reader.read(frame)
        for text, box in truth.items():
            assert _matching(plates, text, box), f"frame {i}: {text} at {box} not read; got {plates}"
        scored += 1
    assert scored >= 3


def test_a_plate_carries_what_fast_alpr_users_expect(reader: PlateReader, tmp_path: Path) -> None:
    _, frame, truth = next(_truth_frames("gantry_day"))
    path = tmp_path / "frame.png"  # lossless, so the file reads exactly like the array
    assert cv2.imwrite(str(path), frame)
    from_array, from_file = reader.read(frame), reader.read(path)
    assert from_array == from_file
    plate = _matching(from_array, *next(iter(truth.items())))[0]
    assert plate.format == "car" and 0.0 < plate.confidence <= 1.0 and 0.0 < plate.detection_confidence <= 1.0
    assert len(plate.char_confidences) == len(plate.text)
    assert all(a.text != plate.text for a in plate.alternatives)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plate.text = "XX1234"  # type: ignore[misc]  # what is checked: mypy and the runtime both refuse it
    assert set(reader.versions) == {"detector", "reader"}


def test_config_file_settings_are_used(tmp_path: Path) -> None:
    # A score floor no detection reaches: the same frame then gives no plate.
    (tmp_path / "anpr.toml").write_text("[detector]\nconf_threshold = 1.0\n", encoding="utf-8")
    _, frame, _ = next(_truth_frames("gantry_day"))
    assert PlateReader(config=tmp_path / "anpr.toml").read(frame) == []
    assert PlateReader(config=AppConfig()).config.detector.conf_threshold == 0.25


def test_bad_config_and_missing_model_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        PlateReader(config=tmp_path / "nope.toml")
    (tmp_path / "anpr.toml").write_text('[detector]\nmodel = "gone/detector.onnx"\n', encoding="utf-8")
    with pytest.raises(StartupError, match=r"gone/detector\.onnx"):
        PlateReader(config=tmp_path / "anpr.toml")


@pytest.mark.parametrize(
    ("image", "says"),
    [
        (None, "image is None"),
        (np.zeros((480, 640), np.uint8), "grey"),
        (np.zeros((480, 640, 4), np.uint8), "BGRA"),
        (np.zeros((480, 640, 3), np.float32), "dtype is float32"),
        (np.zeros((8, 640, 3), np.uint8), "too small"),
        ([[0, 0, 0]], "numpy array"),
        ("/no/such/image.jpg", "not a readable image"),
    ],
)
def test_bad_input_is_a_clear_value_error(reader: PlateReader, image: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        reader.read(image)


def test_the_api_is_exported_lazily() -> None:
    assert anpr.PlateReader is PlateReader
    assert "PlateReader" in anpr.__all__
    missing = "Nope"
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        getattr(anpr, missing)
