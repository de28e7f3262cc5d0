"""The shipped models on the bundled sample video: real frames, real detector, real reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
import pytest

from anpr.detect import build_detector
from anpr.detect.config import DetectorConfig
from anpr.ocr import build_reader
from anpr.ocr.config import ReaderConfig
from anpr.track.boxes import iou

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos" / "gantry_day.mp4"


def _frame(index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(CLIP))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    assert ok, f"frame {index} of {CLIP} could not be decoded"
    return np.asarray(frame, np.uint8)


class PlateFrame(NamedTuple):
    image: np.ndarray
    text: str
    box: tuple[float, float, float, float]


@pytest.fixture(scope="module")
def first_plate_frame() -> PlateFrame:
    """The frame where the clip's first plate (in truth order) is largest, with its text and box."""
    truth = json.loads((ROOT / "sample_videos" / "gantry_day.truth.json").read_text())
    plate = truth["plates"][0]
    biggest = max(plate["boxes"], key=lambda b: b["box"][2] - b["box"][0])
    x1, y1, x2, y2 = (float(v) for v in biggest["box"])
    return PlateFrame(_frame(biggest["frame"]), plate["text"], (x1, y1, x2, y2))


def test_detector_finds_the_first_plate_of_the_sample_video(first_plate_frame: PlateFrame) -> None:
    image, _text, box = first_plate_frame
    found = build_detector(DetectorConfig()).detect(image)
    assert found, "the shipped detector found no plate in the sample frame"
    assert max(iou(d.box, box) for d in found) > 0.5


def test_detector_and_reader_read_it_exactly(first_plate_frame: PlateFrame) -> None:
    image, text, box = first_plate_frame
    detections = build_detector(DetectorConfig()).detect(image)
    best = max(detections, key=lambda d: iou(d.box, box))
    read = build_reader(ReaderConfig()).read(image, best)
    assert read is not None and read.text == text, f"read {read} for {text}"
    assert read.format == "car"
