"""`anpr bench two-rows|control|wheels`: run small and for real (the shipped reader, a real mosquitto and
SQLite store); `wheels` downloads ~150 MB, so only its requirement selection is checked here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from anpr.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(["bench", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_two_rows_counts_every_render_per_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)  # the reader's default model is relative to the checkout
    res = _json(capsys, "two-rows", "--n", "6", "--cuts", "", "0.45", "--train-root", str(tmp_path))
    assert set(res) == {"", "0.45"}
    for tally in res.values():
        assert tally["moto"][1] == 6 and tally["car"][1] == 4  # no gate set under tmp_path: renders only
        assert all(0 <= exact <= total for exact, total in tally.values())
    assert main(["bench", "two-rows", "--n", "1", "--cuts", "1.5"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err


def test_control_store_and_end_to_end_rates(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("starlette")  # the control room's [control] extra
    r = _json(capsys, "control", "--events", "60", "--cars", "3", "--publishers", "1", "--batch", "20")
    assert r["database"] == "sqlite" and r["events"] == 60
    for key in ("store_only_events_per_s", "mqtt_end_to_end_events_per_s", "publish_rate_events_per_s"):
        assert r[key] > 0, key


def test_wheels_checks_the_runtime_requirements_per_python() -> None:
    pytest.importorskip("packaging")
    from anpr.bench.wheels import declared, requirements

    deps = declared(None)  # the installed anpr's metadata: runtime and extras
    assert any("extra ==" in d for d in deps)
    names_310 = {r.name for r in requirements("3.10", deps)}
    names_311 = {r.name for r in requirements("3.11", deps)}
    assert "onnxruntime" in names_311 and "pytest" not in names_311 and "ultralytics" not in names_311
    assert names_310 - names_311 == {"tomli"}  # the marker `python_version < '3.11'`, per version
    assert {r.name for r in requirements("3.11", declared(ROOT / "pyproject.toml"))} == names_311


def test_wheels_checks_the_versions_the_constraints_pin_per_python() -> None:
    pytest.importorskip("packaging")
    from anpr.bench.wheels import declared, requirements

    deps = declared(ROOT / "pyproject.toml")
    pinned_311 = {r.name: str(r.specifier) for r in requirements("3.11", deps, ROOT / "constraints.txt")}
    pinned_310 = {r.name: str(r.specifier) for r in requirements("3.10", deps, ROOT / "constraints.txt")}
    # what install.sh installs on Pi OS (3.11); on JetPack 6 (3.10) numpy and onnxruntime are not pinned
    assert "==1.32.0" in pinned_311["onnxruntime"] and "==2.4.6" in pinned_311["numpy"]
    assert "==5.1.0.95" in pinned_311["opencv-python-headless"]
    assert pinned_310["opencv-python-headless"] == pinned_311["opencv-python-headless"]
    assert "==" not in pinned_310["onnxruntime"] and "==" not in pinned_310["numpy"]
    assert pinned_311["paho-mqtt"] == str(
        next(r for r in requirements("3.11", deps) if r.name == "paho-mqtt").specifier
    )
