"""Scoring arithmetic on hand-made results (pure functions, figures worked out by hand)."""

from __future__ import annotations

import pytest
from helpers.track import make_read

from anpr.evaluate.metrics import GtPlate, ImageResult, edit_ops, match_boxes, summarize
from anpr.evaluate.moto import format_line
from anpr.track.boxes import iou
from anpr.types import PlateRead


def _read(text: str) -> PlateRead:
    return PlateRead(text=text, confidence=0.9, char_confidences=(0.9,) * len(text), raw_text=text, format="unknown")


def test_iou_and_greedy_matching() -> None:
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    gt = [(0, 0, 10, 10), (100, 100, 110, 110)]
    dets = [(1, 0, 11, 10), (0, 0, 10, 10), (50, 50, 60, 60)]  # best score first
    # The first detection takes gt 0 (IoU 0.818); the exact duplicate after it finds gt 0 taken.
    m = match_boxes(gt, dets)
    assert list(m) == [0] and m[0][0] == 0 and m[0][1] == pytest.approx(90 / 110)


def test_edit_ops_substitutions_and_indels() -> None:
    assert edit_ops("GKSB78", "GKSB78") == (0, [])
    assert edit_ops("GKSB78", "6KS878") == (2, [("G", "6"), ("B", "8")])
    assert edit_ops("GKSB78", "GKSB7") == (1, [])
    assert edit_ops("AB", "") == (2, [])


def test_summary_by_hand() -> None:
    box, mid, wide = (0.0, 0.0, 10.0, 10.0), (0.0, 0.0, 50.0, 15.0), (0.0, 0.0, 150.0, 40.0)
    results = [
        # TP with an exact read; one extra detection (FP)
        ImageResult("a", (GtPlate("GKSB78", box, "ok"),), 2, {0: (0, 0.8)}, {0: _read("GKSB78")}, 10.0),
        # TP, read with one confusion
        ImageResult("b", (GtPlate("HJKL23", mid, "ok"),), 1, {0: (0, 0.6)}, {0: _read("HJKL28")}, 20.0),
        # missed plate: FN and no read
        ImageResult("c", (GtPlate("PRST45", wide, "ok"),), 0, {}, {0: None}, 30.0),
        # uncertain row, unboxed: reported apart, no detection figures
        ImageResult("d", (GtPlate("BCDF89", None, "uncertain"),), None, {}, {0: _read("BCDF89")}, 40.0),
        # an image file that could not be decoded: counted, nothing else (not even its time)
        ImageResult("e", (GtPlate("KXRJ92", box, "ok"),), None, {}, {}, 0.0, unreadable=True),
    ]
    s = summarize(results, with_reader=True)
    assert s["detection"] == {
        "gt": 3,
        "tp": 2,
        "fp": 1,
        "fn": 1,
        "recall": 0.6667,
        "precision": 0.6667,
        "mean_iou": 0.7,
        "by_width": [  # the 10-px plate found, the 50-px one found, the 150-px one missed
            {"width": "<20", "gt": 1, "tp": 1, "recall": 1.0},
            {"width": "20-40", "gt": 0, "tp": 0, "recall": None},
            {"width": "40-60", "gt": 1, "tp": 1, "recall": 1.0},
            {"width": "60-90", "gt": 0, "tp": 0, "recall": None},
            {"width": "90-140", "gt": 0, "tp": 0, "recall": None},
            {"width": ">=140", "gt": 1, "tp": 0, "recall": 0.0},
        ],
    }
    plate = s["plate"]
    assert isinstance(plate, dict)
    assert plate["n"] == 3 and plate["exact"] == 0.3333 and plate["no_read"] == 1
    assert plate["char_acc"] == round((6 + 5 + 0) / 18, 4)
    assert plate["confusions"] == [["3", "8", 1]]
    assert plate["uncertain"] == {"n": 1, "exact": 1.0, "char_acc": 1.0, "no_read": 0}
    assert s["ms"] == {"median": 25.0, "p95": 38.5}
    assert s["counts"] == {
        "images": 5,
        "plates": 4,
        "quality": {"ok": 3, "uncertain": 1},
        "unreadable_images": 1,
        "unreadable_files": ["e"],
    }
    # the two ok reads (exact GKSB78, wrong HJKL28), both at _read's confidence
    calibration = plate["calibration"]
    assert isinstance(calibration, dict) and calibration["n"] == 2 and calibration["high"]["exact"] == 0.5


def test_summary_without_reader_or_boxes_says_null() -> None:
    s = summarize([ImageResult("d", (GtPlate("AB12", None, "ok"),), None, {}, {}, 5.0)], with_reader=False)
    ms = s["ms"]
    assert s["detection"] is None and s["plate"] is None and isinstance(ms, dict) and ms["median"] == 5.0


def test_car_plates_read_as_motorcycles_are_counted_with_their_confidence() -> None:
    """DLPR50 read LPR50 (moto) at 0.96 is the sure kind; a motorcycle plate read as one is not counted,
    nor is a car plate read as a car; uncertain rows count too (the night crops' dropped characters)."""
    moto_read = make_read("LPR50", 0.96)
    assert moto_read.format == "moto"
    results = [
        ImageResult("a", (GtPlate("DLPR50", None, "ok"),), None, {}, {0: moto_read}, 1.0),
        ImageResult("b", (GtPlate("CHWD88", None, "uncertain"),), None, {}, {0: make_read("HND88", 0.5)}, 1.0),
        ImageResult("c", (GtPlate("LPR50", None, "ok"),), None, {}, {0: make_read("LPR50", 0.99)}, 1.0),
        ImageResult("d", (GtPlate("GKSB78", None, "ok"),), None, {}, {0: make_read("GKSB78", 0.99)}, 1.0),
        ImageResult("e", (GtPlate("BBCL12", None, "ok"),), None, {}, {0: None}, 1.0),
    ]
    plate = summarize(results, with_reader=True)["plate"]
    assert isinstance(plate, dict)
    m = plate["moto_misreads"]
    assert (m["rows"], m["n"], m["sure"], m["max_confidence"]) == (4, 2, 1, 0.96)
    assert m["examples"][0] == ["a", "DLPR50", "LPR50", 0.96]
    assert format_line(m) == "car plates read as motorcycles: 2 of 4 (1 at >= 0.9; most confident DLPR50 -> LPR50 0.96)"
