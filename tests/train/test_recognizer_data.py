"""`anpr train recognizer-data`: rendered and real strips, made by the reader's own pre-processing."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.images import imread

from anpr.ocr.config import ReaderConfig
from anpr.ocr.strips import strips
from anpr.train import recognizer_data as rd
from anpr.types import Detection

TINY = Path(__file__).resolve().parents[1] / "data" / "eval_tiny"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    shutil.copytree(TINY, root / "tiny_set")  # a labelled set in the shared format (rendered scenes)
    out = root / "data"
    rd.build(out, 40, root, rd.Settings(real_variants=3), workers=1)
    return out


def rows_of(out: Path) -> list[dict[str, str]]:
    with open(out / "labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_settings_match_the_reader_defaults() -> None:
    cfg = ReaderConfig()
    assert {k: getattr(rd.Settings(), k) for k in rd.PREPROCESS_KEYS} == {
        k: getattr(cfg, k) for k in rd.PREPROCESS_KEYS
    }


def test_moto_rows_put_letters_over_digits() -> None:
    assert rd.moto_rows("PRT45") == ("PRT", "45")
    assert rd.moto_rows("AB123") == ("AB", "123")


def test_builds_labelled_sheets_of_rendered_and_real_strips(built: Path) -> None:
    rows = rows_of(built)
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["strips"] == len(rows) and manifest["height"] == 32 and manifest["width"] == 128
    synth = [r for r in rows if r["source"] == "synth"]
    real = [r for r in rows if r["source"] == "tiny_set"]
    assert len(synth) >= 36  # 40 crops; a few two-row crops without a found split are skipped, counted
    assert (
        sum(v for k, v in manifest["counts"].items() if k != "ok" and k.startswith("synth"))
        + manifest["counts"].get("ok", 0)
        == 40
    )
    # rows with a box and an `ok` text (the uncertain and the box-less row are left out), 3 crops each
    assert {r["text"] for r in real} == {"HJKL23", "PRST45"} and 4 <= len(real) <= 6
    assert all(rd.TEXT.match(r["text"]) for r in rows)
    assert all(1 <= int(r["width"]) <= 128 for r in rows)
    for name in {r["sheet"] for r in rows}:
        sheet = imread(built / name, cv2.IMREAD_GRAYSCALE)
        assert sheet.shape[1] == 128 and sheet.shape[0] % 32 == 0
    # strips of one real image never straddle the train/val split: they share a group
    groups = {r["group"] for r in real}
    assert len(groups) == len({r["text"] for r in real})


def test_a_stored_real_strip_is_what_the_reader_would_feed_the_model(built: Path) -> None:
    with open(TINY / "labels.csv", newline="") as f:
        first = next(csv.DictReader(f))
    img = imread(TINY / first["file"])
    x1, y1, x2, y2 = (float(first[k]) for k in ("x1", "y1", "x2", "y2"))
    cfg = ReaderConfig()
    from anpr.ocr import preprocess

    plate = preprocess.crop(img, Detection((x1, y1, x2, y2), 1.0), (cfg.margin_x, cfg.margin_y))
    assert plate is not None
    (want,) = strips(plate, 32, 128)
    row = next(r for r in rows_of(built) if r["text"] == first["plate_text"])  # variant 0: the exact box
    sheet = imread(built / row["sheet"], cv2.IMREAD_GRAYSCALE)
    got = sheet[int(row["row"]) * 32 : (int(row["row"]) + 1) * 32, : int(row["width"])]
    assert got.shape == want.shape
    assert float(np.abs(got.astype(np.float32) - want).mean()) < 10  # WebP q75 is lossy, not another image


def test_refuses_eval_folders_and_an_existing_data_set(built: Path, tmp_path: Path) -> None:
    ev = tmp_path / "eval"
    ev.mkdir()
    with pytest.raises(ValueError, match="evaluation"):
        list(rd.real_rows(ev))
    with pytest.raises(ValueError, match="already holds"):
        rd.build(built, 1, None, rd.Settings())
