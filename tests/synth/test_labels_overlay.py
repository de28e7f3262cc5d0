from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pytest
from helpers.images import imread

from anpr.plates.chile import parse
from anpr.synth.crops import MAX_WIDTH, MIN_WIDTH, write_crops
from anpr.synth.labels import COLUMNS, LabelRow, read_labels, write_labels
from anpr.synth.overlay import overlay_sets, replace_plates

from .conftest import BOX


def test_labels_round_trip(tmp_path: Path) -> None:
    rows = [
        LabelRow("images/a.jpg", "BGXZ18", (1, 2, 30, 40), 100, 80, "ok", "x/a.jpg", "note, with comma"),
        LabelRow("images/b.jpg", "AB1000", None, 90, 30, "ok", "synth", ""),
    ]
    path = tmp_path / "labels.csv"
    assert write_labels(path, rows) == 2
    assert path.read_text().splitlines()[0] == ",".join(COLUMNS)
    assert list(read_labels(path)) == rows


def test_read_labels_tolerates_float_and_bad_boxes(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("file,plate_text,x1,y1,x2,y2,img_w,img_h\na.jpg,,1.6,2,30.2,40,100,80\nb.jpg,,9,9,3,3,10,10\n")
    a, b = read_labels(path)
    assert a.box == (2, 2, 30, 40)
    assert b.box is None  # x2 < x1: refused, not crashed


def test_overlay_replaces_the_plate_and_labels_its_new_box(photo_set: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert overlay_sets([photo_set], out, per_image=2, seed=4) == 2
    rows = list(read_labels(out / "labels.csv"))
    assert len(rows) == 2  # the row without a box is skipped
    src = imread(photo_set / "images" / "car.jpg")
    for row in rows:
        assert row.quality == "ok" and parse(row.plate_text).valid
        assert row.source_path == "fake_set/images/car.jpg" and "corners=" in row.notes
        img = imread(out / row.file)
        assert img.shape[:2] == (row.img_h, row.img_w) == (300, 400)
        assert row.box is not None
        x1, y1, x2, y2 = row.box
        # The new plate sits where the old one was: centres within a few pixels, and it overlaps it.
        assert abs((x1 + x2) / 2 - (BOX[0] + BOX[2]) / 2) < 4 and abs((y1 + y2) / 2 - (BOX[1] + BOX[3]) / 2) < 4
        assert (y2 - y1) >= (BOX[3] - BOX[1]) and (x2 - x1) <= 1.15 * (BOX[2] - BOX[0])
        inside = img[y1:y2, x1:x2].astype(int) - src[y1:y2, x1:x2].astype(int)
        assert np.abs(inside).mean() > 10  # the plate really changed
        far = img[:40, :40].astype(int) - src[:40, :40].astype(int)
        assert np.abs(far).mean() < 3  # and the rest of the photo did not


def test_overlay_is_deterministic(photo_set: Path, tmp_path: Path) -> None:
    overlay_sets([photo_set], tmp_path / "a", per_image=1, seed=9)
    overlay_sets([photo_set], tmp_path / "b", per_image=1, seed=9)
    for name in ("labels.csv", "images/fake_set_car_00.jpg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_overlay_refuses_eval_sets(tmp_path: Path) -> None:
    fake_eval = tmp_path / "eval" / "chile_gate"
    fake_eval.mkdir(parents=True)
    with pytest.raises(ValueError, match="evaluation set"):
        overlay_sets([fake_eval], tmp_path / "out", 1, 0)


def test_replace_plates_near_square_box_gets_a_motorcycle_plate() -> None:
    img = np.full((200, 200, 3), 120, np.uint8)
    _, placed = replace_plates(img, [(70, 60, 130, 110)], random.Random(2))
    assert placed[0].format.startswith("moto")


def test_crops_set(tmp_path: Path) -> None:
    assert write_crops(tmp_path, 12, seed=3) == 12
    with (tmp_path / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["file"] for r in rows] == [f"images/synth_{i:06d}.jpg" for i in range(12)]
    for r in rows:
        assert r["x1"] == r["y1"] == r["x2"] == r["y2"] == ""  # crop-only set
        img = imread(tmp_path / r["file"])
        assert (img.shape[1], img.shape[0]) == (int(r["img_w"]), int(r["img_h"]))
        assert MIN_WIDTH <= img.shape[1] <= MAX_WIDTH
        assert parse(r["plate_text"]).valid
    first = (tmp_path / "images/synth_000000.jpg").read_bytes()
    write_crops(tmp_path / "again", 1, seed=3)
    assert (tmp_path / "again/images/synth_000000.jpg").read_bytes() == first
