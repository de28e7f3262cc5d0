"""`anpr plate` end to end through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from anpr.cli.main import main


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    rc = main(["plate", *argv, "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_valid_plate_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, "BBCL12")
    assert rc == 0
    assert doc == {
        "input": "BBCL12",
        "text": "BBCL12",
        "format": "car",
        "valid": True,
        "check_digit": "0",
        "reason": None,
    }


def test_normalized_input(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, "ph·zf-55")
    assert rc == 0 and doc["text"] == "PHZF55" and doc["check_digit"] == "K"


def test_invalid_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, "BACL12")
    assert rc == 1 and doc["valid"] is False and "position 2" in str(doc["reason"])


def test_unusable_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    rc, doc = run_json(capsys, "BB?L12")
    assert rc == 2 and doc["text"] is None and "cannot be mapped" in str(doc["reason"])


def test_text_output_and_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "anpr", "plate", "GR 13-99"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "GR1399" in proc.stdout and "car_old" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "anpr", "plate", " "], capture_output=True, text=True, timeout=60, check=False
    )
    assert bad.returncode == 2 and "empty input" in bad.stderr
