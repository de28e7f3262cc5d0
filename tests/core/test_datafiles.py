"""Where shipped files are found and where state goes without a config (anpr.core.datafiles)."""

from __future__ import annotations

from pathlib import Path

import pytest

from anpr.app.config import AppConfig
from anpr.core.datafiles import default_state_dir, find_data_file

PACKAGE = Path(__file__).resolve().parents[2] / "anpr"


def test_a_model_missing_from_the_working_folder_is_found_in_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    found = Path(find_data_file("models/plate-detector.onnx"))
    assert found.is_file() and found.resolve() == (PACKAGE / "models" / "plate-detector.onnx").resolve()
    assert AppConfig().detector.model == str(found)  # the config's defaults go through the same resolver


def test_a_file_in_the_working_folder_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "plate-detector.onnx").write_bytes(b"mine")
    assert find_data_file("models/plate-detector.onnx") == "models/plate-detector.onnx"


def test_a_file_found_nowhere_is_left_as_given_for_the_loader_to_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_data_file("models/no-such-model.onnx") == "models/no-such-model.onnx"
    assert find_data_file(str(tmp_path / "absent.onnx")) == str(tmp_path / "absent.onnx")


def test_state_goes_to_xdg_state_home_else_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_dir() == str(tmp_path / "xdg" / "anpr")
    assert AppConfig().state_dir == str(tmp_path / "xdg" / "anpr")
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # the XDG spec: relative values are invalid
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_state_dir() == str(tmp_path / "home" / ".local" / "state" / "anpr")
