"""`anpr train dataset`: shared-format sets -> a movable YOLO dataset (no ultralytics needed)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.images import imread

from anpr.cli.main import main
from anpr.train.dataset import build_dataset, split_of, yolo_lines


def _make_set(root: Path, name: str, rows: list[str], size: tuple[int, int] = (800, 400)) -> Path:
    d = root / name
    (d / "images").mkdir(parents=True)
    for row in rows:
        f = row.split(",")[0]
        if not (d / f).exists():
            cv2.imwrite(str(d / f), np.full((size[1], size[0], 3), 90, np.uint8))
    (d / "labels.csv").write_text("file,plate_text,x1,y1,x2,y2,source_path\n" + "\n".join(rows) + "\n")
    return d


def test_split_is_fixed_and_dashcam_goes_by_ride() -> None:
    names = [f"img_{i}.jpg" for i in range(400)]
    val = [n for n in names if split_of(n) == "val"]
    assert 25 <= len(val) <= 55  # ~10 %
    assert [split_of(n) for n in names] == [split_of(n) for n in names]
    assert split_of("images/ro_dayride_type1_002_mp4_t_5.jpg") == "val"
    assert split_of("images/ro_dayride_type1_001_mp4_t_5.jpg") == "train"


def test_yolo_lines_scale_normalise_and_drop_degenerate() -> None:
    lines = yolo_lines([(100, 50, 300, 150), (0, 0, 1, 1)], 0.5, 400, 200)
    assert lines == ["0 0.250000 0.250000 0.250000 0.250000"]  # (50,25)-(150,75) in 400x200


def test_build_writes_a_movable_dataset(tmp_path: Path) -> None:
    real = _make_set(
        tmp_path / "train",
        "cams",
        ["images/a.jpg,AB1234,100,100,300,160,", "images/a.jpg,CD5678,400,100,600,160,", "images/crop.jpg,XY12,,,,,"],
    )
    # A synthetic copy of a.jpg: it must land in the same split as a.jpg.
    synth = _make_set(tmp_path / "synth", "overlay", ["images/s1.jpg,GKSB78,10,10,90,40,/somewhere/cams/images/a.jpg"])
    out = tmp_path / "ds"
    report = build_dataset(out, [real], [synth], max_side=400, quality=80, image_format="jpg")
    split = split_of("a.jpg")
    assert report.images == {f"cams/{split}": 1, **({"overlay/train": 1} if split == "train" else {})}
    assert report.boxes[f"cams/{split}"] == 2
    img = imread(out / "images" / split / "cams__a.jpg")
    assert img.shape == (200, 400, 3)  # longest side capped at 400
    labels = (out / "labels" / split / "cams__a.txt").read_text().splitlines()
    assert labels[0] == "0 0.250000 0.325000 0.250000 0.150000"
    yaml = (out / "data.yaml").read_text()
    assert "train: images/train" in yaml and not any(ln.startswith("path:") for ln in yaml.splitlines())
    assert str(tmp_path) not in yaml  # nothing absolute: the folder can move
    assert report.bytes > 0 and (out / "manifest.json").is_file()


def test_eval_sets_are_refused(tmp_path: Path) -> None:
    ev = _make_set(tmp_path / "eval", "chile_gate", ["images/a.jpg,AB1234,1,1,50,20,"])
    with pytest.raises(ValueError, match="measuring only"):
        build_dataset(tmp_path / "ds", [ev])


def test_cli_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _make_set(tmp_path / "train", "cams", ["images/b.jpg,AB1234,100,100,300,160,"])
    code = main(["train", "dataset", "--train-root", str(tmp_path / "train"), "--out", str(tmp_path / "ds")])
    assert code == 0
    assert "cams/" in capsys.readouterr().out
    assert len(list((tmp_path / "ds" / "images").rglob("*.webp"))) == 1
