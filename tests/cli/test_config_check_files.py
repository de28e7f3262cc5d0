"""`anpr config check` checks the files a config names, not only its TOML: a config whose model, key,
CA or password file is missing (or whose model is not the recorded one) is refused before `anpr run`
would stop on it, one line per problem naming the key and the file, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from anpr.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = ROOT / "models" / "plate-detector.onnx"


def _check(conf: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["config", "check", "-c", str(conf)])
    out, err = capsys.readouterr()
    return rc, out + err


def _gantry(tmp_path: Path, model: Path) -> Path:
    """A gantry config (one RTSP camera, no unsigned list) whose detector model is `model`."""
    conf = tmp_path / "gantry.toml"
    conf.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[[cameras]]\nid = "lane"\nkind = "rtsp"\nuri = "rtsp://10.0.0.5/s1"\n'
        f'[detector]\nmodel = "{model}"\n[hotlist]\ncsv = ""\n'
    )
    return conf


def test_every_missing_file_is_named_with_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gone = tmp_path / "gone"
    conf = tmp_path / "car.toml"
    conf.write_text(
        f'state_dir = "{tmp_path / "state"}"\n'
        f'[[cameras]]\nid = "front"\nkind = "file"\nuri = "{gone / "clip.mp4"}"\n'
        f'[detector]\nmodel = "{gone / "det.onnx"}"\nwide_model = "{gone / "det-640x384.onnx"}"\n'
        f'[hotlist]\ncsv = ""\ntrusted_keys = ["{gone / "list.pub"}"]\n'
        f'[uplink]\ntls = true\nca_file = "{gone / "ca.pem"}"\npassword_file = "{gone / "mqtt-password"}"\n'
        f'[gps]\nkind = "replay"\nreplay_path = "{gone / "log.nmea"}"\n'
    )
    rc, text = _check(conf, capsys)
    assert rc == 2
    for key, name in [
        ("cameras[0].uri", "clip.mp4"),
        ("detector.model", "det.onnx"),
        ("detector.wide_model", "det-640x384.onnx"),
        ("hotlist.trusted_keys[0]", "list.pub"),
        ("uplink.ca_file", "ca.pem"),
        ("uplink.password_file", "mqtt-password"),
        ("gps.replay_path", "log.nmea"),
    ]:
        assert any(key in line and name in line for line in text.splitlines()), f"{key} / {name} not named:\n{text}"
    assert "7 problem(s)" in text and "Traceback" not in text


def test_a_model_that_is_not_the_recorded_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "plate-detector.onnx"
    shutil.copy(DETECTOR, model)
    (tmp_path / "plate-detector.onnx.sha256").write_text("0" * 64 + "  plate-detector.onnx\n")
    conf = _gantry(tmp_path, model)
    rc, text = _check(conf, capsys)
    assert rc == 2
    assert "detector.model" in text and "does not match the recorded" in text, text

    (tmp_path / "plate-detector.onnx.sha256").write_text((DETECTOR.parent / "plate-detector.onnx.sha256").read_text())
    rc, text = _check(conf, capsys)
    assert rc == 0 and "OK" in text, text


def test_a_corrupt_lane_variant_beside_the_model_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`auto` would skip it with a warning at run time; the check names it, so the gantry's saving is not lost
    unnoticed."""
    wide = DETECTOR.with_name("plate-detector-640x384.onnx")
    for f in (DETECTOR, wide):
        shutil.copy(f, tmp_path / f.name)
        shutil.copy(f.with_name(f.name + ".sha256"), tmp_path)
    lane = tmp_path / "plate-detector-640x288.onnx"
    shutil.copy(wide, lane)  # stands in for a variant whose bytes no longer match its sidecar
    (tmp_path / "plate-detector-640x288.onnx.sha256").write_text("0" * 64 + "  plate-detector-640x288.onnx\n")
    conf = _gantry(tmp_path, tmp_path / DETECTOR.name)
    rc, text = _check(conf, capsys)
    assert rc == 2
    assert "plate-detector-640x288.onnx" in text and "does not match the recorded" in text, text
    lane.unlink()
    rc, text = _check(conf, capsys)
    assert rc == 0 and "OK" in text, text


def test_a_corrupt_focus_model_beside_the_model_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The focus windows' model (`detector.focus_model = auto`) is checked as the run will load it."""
    focus = DETECTOR.with_name("plate-detector-320x192.onnx")
    for f in (DETECTOR, focus):
        shutil.copy(f, tmp_path / f.name)
        shutil.copy(f.with_name(f.name + ".sha256"), tmp_path)
    conf = _gantry(tmp_path, tmp_path / DETECTOR.name)
    rc, text = _check(conf, capsys)
    assert rc == 0 and "OK" in text, text
    (tmp_path / focus.name).write_bytes((tmp_path / focus.name).read_bytes()[:-1000])  # truncated in a copy
    rc, text = _check(conf, capsys)
    assert rc == 2
    assert "detector.focus_model" in text and "plate-detector-320x192.onnx" in text, text


def test_no_files_checks_the_settings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "other-machine.toml"
    conf.write_text('[detector]\nmodel = "/opt/elsewhere/det.onnx"\n')
    assert main(["config", "check", "-c", str(conf), "--no-files"]) == 0
    assert "files not checked" in capsys.readouterr().out
