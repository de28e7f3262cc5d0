from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from anpr.cli.main import main


def test_sheet_and_plates_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "sheet", "--out", str(tmp_path / "s.png"), "--n", "3"]) == 0
    sheet = cv2.imread(str(tmp_path / "s.png"))
    assert sheet is not None and sheet.shape[:2] == (110, 5 * 260)
    assert main(["synth", "plates", "--n", "3", "--out", str(tmp_path / "crops"), "--seed", "2"]) == 0
    assert len((tmp_path / "crops" / "labels.csv").read_text().splitlines()) == 4
    assert "wrote 3 plate crops" in capsys.readouterr().out


def test_overlay_command_refuses_eval_and_missing_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "eval" / "x").mkdir(parents=True)
    assert main(["synth", "overlay", "--src", str(tmp_path / "eval" / "x"), "--out", str(tmp_path / "o")]) == 2
    assert "evaluation set" in capsys.readouterr().err
    assert main(["synth", "overlay", "--src", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "labels.csv not found" in capsys.readouterr().err


def test_overlay_command_writes_a_set(photo_set: Path, tmp_path: Path) -> None:
    assert main(["synth", "overlay", "--src", str(photo_set), "--out", str(tmp_path / "o"), "--per-image", "1"]) == 0
    assert (tmp_path / "o" / "images" / "fake_set_car_00.jpg").is_file()
