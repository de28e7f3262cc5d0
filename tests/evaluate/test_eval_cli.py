"""`anpr eval` end to end on the committed tiny folder, with the real shipped detector.

tests/data/eval_tiny is built so the detection figures are known by hand (`anpr train detector-test-data`):
a.jpg one labelled plate (TP); b.jpg two plates, one labelled (TP + FP); c.jpg a labelled box where no
plate is (FN); d.jpg an unboxed crop (reader only). So: gt 3, tp 2, fp 1, fn 1.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from anpr.cli.main import main

TINY = Path(__file__).resolve().parents[1] / "data" / "eval_tiny"


def _run_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main(["eval", str(TINY), "--labels", str(TINY / "labels.csv"), "--json", *extra]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_detection_figures_match_the_hand_count(capsys: pytest.CaptureFixture[str]) -> None:
    s = _run_json(capsys, "--no-reader")
    d = s["detection"]
    assert (d["gt"], d["tp"], d["fp"], d["fn"]) == (3, 2, 1, 1)
    assert d["recall"] == 0.6667 and d["precision"] == 0.6667
    assert 0.5 <= d["mean_iou"] <= 1.0
    assert s["plate"] is None and s["reader"] is None
    assert s["counts"] == {
        "images": 4,
        "plates": 4,
        "quality": {"ok": 3, "uncertain": 1},
        "unreadable_images": 0,
        "unreadable_files": [],
    }
    assert s["ms"]["median"] > 0 and s["ms"]["p95"] >= s["ms"]["median"]
    assert s["detector"]["version"].startswith("plate-detector:")


def test_limit_and_conf_override(capsys: pytest.CaptureFixture[str]) -> None:
    s = _run_json(capsys, "--no-reader", "--limit", "1")
    assert s["counts"]["images"] == 1 and s["detection"]["tp"] == 1
    s = _run_json(capsys, "--no-reader", "--conf", "0.999")  # nothing is that sure: every plate missed
    assert s["detection"]["tp"] == 0 and s["detection"]["fn"] == 3


def test_reader_scores_ok_rows_and_uncertain_apart(capsys: pytest.CaptureFixture[str]) -> None:
    s = _run_json(capsys)
    if s["reader"] is None:
        pytest.skip("no plate reader in this checkout yet (anpr.ocr.build_reader)")
    p = s["plate"]
    assert p["n"] == 3 and p["uncertain"]["n"] == 1
    # c.jpg has no plate, so its (uncertain) row can only be a missed read.
    assert p["uncertain"]["exact"] == 0.0 and p["uncertain"]["no_read"] == 1
    assert p["exact"] is not None and 0.0 <= p["char_acc"] <= 1.0


def test_report_folder_and_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(TINY), "--no-reader", "--report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "recall 0.6667" in out and "precision 0.6667" in out
    assert json.loads((tmp_path / "summary.json").read_text())["detection"]["tp"] == 2
    assert len((tmp_path / "per_image.csv").read_text().splitlines()) == 5


def test_bad_inputs_exit_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path), "--no-reader"]) == 2
    assert "labels.csv: cannot read labels" in capsys.readouterr().err
    bad = tmp_path / "labels.csv"
    bad.write_text("file,plate_text,x1,y1,x2,y2\nimages/a.jpg,AB12,10,10,5,20\n")
    assert main(["eval", str(tmp_path), "--no-reader"]) == 2
    assert "has no area" in capsys.readouterr().err
    assert main(["eval", str(TINY), "--model", str(tmp_path / "missing.onnx")]) == 2
    assert "missing.onnx: model file not found" in capsys.readouterr().err


def test_unreadable_images_are_counted_not_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A labelled image that cannot be decoded (missing, or not an image) is reported, text and JSON."""
    folder = tmp_path / "set"
    shutil.copytree(TINY, folder)
    (folder / "images" / "b.jpg").write_bytes(b"not a jpeg")
    (folder / "images" / "c.jpg").unlink()
    assert main(["eval", str(folder), "--no-reader", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["counts"]["images"] == 4
    assert s["counts"]["unreadable_images"] == 2
    assert s["counts"]["unreadable_files"] == ["images/b.jpg", "images/c.jpg"]
    assert s["detection"]["gt"] == 1  # only a.jpg's box is scored
    assert main(["eval", str(folder), "--no-reader"]) == 0
    assert "unreadable images (not scored): 2 (images/b.jpg, images/c.jpg)" in capsys.readouterr().out


def test_reader_summary_carries_a_reliability_table(capsys: pytest.CaptureFixture[str]) -> None:
    s = _run_json(capsys, "--no-detector")
    rel = s["plate"]["calibration"]
    reads = s["plate"]["n"] - s["plate"]["no_read"]
    assert rel["n"] == reads and sum(b[2] for b in rel["bins"]) == reads
    assert 0.0 <= rel["ece"] <= 1.0


def test_report_draws_the_reliability_diagram(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(TINY), "--no-detector", "--report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "calibration (ok rows with a read" in out and "ECE" in out
    assert (tmp_path / "reliability.png").stat().st_size > 1000
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'src="reliability.png"' in page and "expected calibration error" in page
