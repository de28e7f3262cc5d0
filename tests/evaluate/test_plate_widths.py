"""Detection recall by labelled plate width (`anpr eval`: text, --json, --report), rows without text scored
for detection only, and `anpr train heldout`: the detector's held-out real train photos, measured with the
shipped detector."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.plates import shared_plates

from anpr.cli.main import main
from anpr.evaluate.widths import WIDTH_EDGES, bucket_of, labels
from anpr.train.dataset import read_set, split_of

TINY = Path(__file__).resolve().parents[1] / "data" / "eval_tiny"
TRAIN = shared_plates("train")


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["eval", *argv, "--json"]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_buckets_by_width() -> None:
    assert labels() == ["<20", "20-40", "40-60", "60-90", "90-140", ">=140"]
    assert len(labels()) == len(WIDTH_EDGES) + 1
    assert [bucket_of((100, 0, 100 + w, 10)) for w in (5, 19.9, 20, 39, 60, 139.9, 140, 900)] == [
        0,
        0,
        1,
        1,
        3,
        4,
        5,
        5,
    ]


def test_recall_by_width_in_json_text_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # eval_tiny's three boxes are 140-150 px wide: two found, one (c.jpg, no plate there) missed.
    d = _json(capsys, str(TINY), "--no-reader")["detection"]
    widths = {b["width"]: b for b in d["by_width"]}
    assert [b["width"] for b in d["by_width"]] == labels()
    assert widths[">=140"] == {"width": ">=140", "gt": 3, "tp": 2, "recall": 0.6667}
    assert all(b["gt"] == 0 and b["recall"] is None for b in d["by_width"][:-1])
    assert main(["eval", str(TINY), "--no-reader", "--report", str(tmp_path)]) == 0
    assert "recall by plate width (px)  >=140 0.6667 (2/3)" in capsys.readouterr().out
    page = (tmp_path / "index.html").read_text()
    assert "Detection recall by plate width" in page and "<td>&gt;=140</td><td>3</td><td>2</td>" in page


def test_rows_without_text_are_scored_for_detection_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "set"
    shutil.copytree(TINY, folder)
    labels_csv = folder / "labels.csv"
    labels_csv.write_text(labels_csv.read_text().replace("HJKL23", ""))  # a.jpg: a box, no text
    with_text = _json(capsys, str(TINY))
    if with_text["reader"] is None:
        pytest.skip("no plate reader in this checkout")
    without = _json(capsys, str(folder))
    assert without["detection"]["gt"] == with_text["detection"]["gt"] == 3
    assert without["detection"]["tp"] == with_text["detection"]["tp"]
    assert without["plate"]["n"] == with_text["plate"]["n"] - 1  # a.jpg's plate is no longer read


def test_heldout_refuses_an_eval_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evals = tmp_path / "eval"
    (evals / "x").mkdir(parents=True)
    assert main(["train", "heldout", "--train-root", str(evals), "--out", str(tmp_path / "h")]) == 2
    err = capsys.readouterr().err
    assert "an eval folder" in err and "Traceback" not in err


@pytest.mark.skipif(TRAIN is None, reason="shared/plates/train not found (set ANPR_PLATES_TRAIN)")
def test_heldout_split_is_the_detectors_val_split_and_is_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert TRAIN is not None
    out = tmp_path / "heldout"
    assert main(["train", "heldout", "--train-root", str(TRAIN), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    with (out / "labels.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    sets = sorted(p.parent.name for p in TRAIN.glob("*/labels.csv"))
    val = {(s, i.file): len(i.boxes) for s in sets for i in read_set(TRAIN / s) if split_of(i.split_key) == "val"}
    assert len(rows) == sum(val.values()) == 126  # models/plate-detector.md: 126 held-out real plates
    assert {tuple(r["file"].split("/", 1)) for r in rows} == set(val)
    assert all((out / r["file"]).is_file() for r in rows)  # through the set links
    gate = [r for r in rows if r["file"].startswith("chile_gate_overlay/")]
    assert gate and all(r["plate_text"] and r["quality"] == "ok" for r in gate)  # text kept where there is one
    assert any(r["file"].startswith("romania_dashcam/") and not r["plate_text"] for r in rows)

    d = _json(capsys, str(out), "--no-reader")["detection"]
    assert d["gt"] == 126 and sum(b["gt"] for b in d["by_width"]) == 126
    assert sum(b["tp"] for b in d["by_width"]) == d["tp"]
    assert d["recall"] >= 0.88  # the shipped detector: 0.897 (113/126)
    near = [b for b in d["by_width"] if b["width"] in ("40-60", "60-90", "90-140", ">=140")]
    assert all(b["recall"] >= 0.95 for b in near), d["by_width"]  # its misses are far plates
