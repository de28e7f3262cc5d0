"""Config validation: the defaults validate, and each bad case names the key, the value and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from anpr.app.config import AppConfig, ConfigError, from_dict, load


def test_defaults_validate_and_run_the_demo() -> None:
    cfg = load(None)
    assert isinstance(cfg, AppConfig)
    assert cfg.cameras[0].kind == "file"
    assert Path(cfg.cameras[0].uri).name == "gantry_day.mp4"
    assert cfg.uplink.enabled is False  # the demo needs no broker


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"detecter": {}}, ["detecter", "unknown key"]),
        ({"cameras": [{"kind": "usbb"}]}, ["cameras.0.kind", "'usbb'", "'rtsp'"]),
        ({"detector": {"conf_threshold": 1.5}}, ["detector.conf_threshold", "1.5", "less than or equal to 1"]),
        ({"uplink": {"port": 70000}}, ["uplink.port", "70000", "65535"]),
        ({"device_id": "car 7"}, ["device_id", "'car 7'", "pattern"]),
        ({"cameras": [{"id": "a"}, {"id": "a"}]}, ["camera ids must be unique", "a"]),
        ({"detector": {"roi": {"cam0": [0.5, 0.0, 0.2, 1.0]}}}, ["detector.roi", "x1 < x2"]),
        ({"log_level": "LOUD"}, ["log_level", "'LOUD'"]),
    ],
)
def test_bad_config_names_key_value_and_rule(data: dict[str, object], expected: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(data, "test.toml")
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} missing from: {message}"


def test_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("device_id = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(bad)


@pytest.mark.parametrize("name", ["patrol-car.toml", "gantry.toml"])
def test_shipped_examples_validate(name: str) -> None:
    root = Path(__file__).resolve().parents[2]
    cfg = load(root / "examples" / name)
    assert cfg.cameras


def test_cli_config_check_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from anpr.cli.main import main

    bad = tmp_path / "typo.toml"
    bad.write_text("[detector]\nconf_treshold = 0.3\n", encoding="utf-8")
    assert main(["config", "check", "-c", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "detector.conf_treshold" in err and "unknown key" in err
    assert main(["config", "check"]) == 0
