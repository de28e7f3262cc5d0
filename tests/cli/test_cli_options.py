"""The options every command shares: the same spelling everywhere, accepted before or after the action,
and one way of refusing a bad config (`anpr: <file>: <key> ...`, exit 2)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.integration import ANPR, REPO

from anpr.cli.common import leaves
from anpr.cli.main import build_parser, main


def test_every_command_takes_the_shared_options_in_its_own_position() -> None:
    parser = build_parser()
    found = {path: (leaf, groups) for path, leaf, groups in leaves(parser)}
    # the modules owned elsewhere get them through the central pass too
    assert {("train", "dataset"), ("bench", "hotlist"), ("control", "export"), ("queue", "status")} <= set(found)
    for path, (leaf, groups) in found.items():
        opts = leaf._option_string_actions
        assert "--log-level" in opts, path
        assert all("--log-level" in g._option_string_actions for g in groups), path
        if any("--config" in g._option_string_actions for g in groups):
            assert "-c" in opts and "--config" in opts, path
        if "--out" in opts:  # the old spelling is the same option as -o/--output, and not advertised
            assert opts["--out"] is opts["--output"] is opts["-o"], path
            shown = leaf._get_formatter()._format_action_invocation(opts["--out"])
            assert "--output" in shown and "--out" not in shown.replace("--output", ""), path


@pytest.mark.parametrize(
    "argv",
    [
        ["queue", "-c", "X.toml", "--log-level", "DEBUG", "status"],
        ["queue", "status", "-c", "X.toml", "--log-level", "DEBUG"],
        ["--log-level", "DEBUG", "queue", "status", "--config", "X.toml"],
    ],
)
def test_config_and_log_level_before_or_after_the_action(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.config, args.log_level) == ("X.toml", "DEBUG")


def test_leaf_defaults_do_not_hide_values_given_before_the_action() -> None:
    parser = build_parser()
    assert parser.parse_args(["queue", "-c", "A.toml", "status"]).config == "A.toml"
    args = parser.parse_args(["queue", "status"])
    assert (args.config, args.log_level) == (None, None)
    assert parser.parse_args(["--log-level", "ERROR", "status"]).log_level == "ERROR"


def test_output_spellings_in_commands_owned_elsewhere() -> None:
    parser = build_parser()
    for flag in ("-o", "--output", "--out"):
        assert str(parser.parse_args(["train", "dataset", flag, "ds"]).out) == "ds"
        assert parser.parse_args(["control", "export", flag, "x.geojson"]).out == "x.geojson"


def test_queue_status_with_config_after_the_action(device: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from anpr.uplink.config import UplinkConfig
    from anpr.uplink.sink import open_outbox

    open_outbox(UplinkConfig(), device.parent / "state").close()  # status reads an outbox, never makes one
    assert main(["queue", "status", "-c", str(device), "--log-level", "WARNING", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["path"].startswith(str(device.parent / "state"))


@pytest.mark.parametrize("flag", ["-o", "--output", "--out"])
def test_keygen_output_spellings(flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prefix = tmp_path / "cc"
    assert main(["hotlist", "keygen", flag, str(prefix)]) == 0
    assert (tmp_path / "cc.key").is_file() and (tmp_path / "cc.pub").is_file()


def test_help_advertises_output_not_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["hotlist", "sign", "--help"])
    text = capsys.readouterr().out
    assert "-o OUTPUT, --output OUTPUT" in text or "-o PATH, --output PATH" in text
    assert "--out " not in text and "--out," not in text


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["status"],
        ["config", "check"],
        ["config", "show"],
        ["replay", "sample_videos/gantry_day.mp4"],
        ["eval", "sample_videos"],
        ["queue", "status"],
        ["hotlist", "status"],
        ["hotlist", "lookup", "BBCL12"],
        ["hotlist", "sync"],
        ["gps", "status"],
    ],
)
def test_a_bad_config_is_one_line_naming_file_and_key(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "typo.toml"
    bad.write_text("[hotlist]\nfuzy = true\n")
    assert main([*argv, "-c", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"anpr: {bad}"), err
    assert "hotlist.fuzy" in err and "Traceback" not in err


def test_the_configs_log_level_applies_unless_given(device: Path) -> None:
    quiet = device.parent / "quiet.toml"
    quiet.write_text('log_level = "ERROR"\n' + device.read_text())

    def stderr(*argv: str) -> str:
        res = subprocess.run([*ANPR, *argv], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return res.stderr

    unsigned = "are UNSIGNED"  # the store's warning about a local CSV list
    assert unsigned in stderr("hotlist", "lookup", "PRKX21", "-c", str(device))
    assert unsigned not in stderr("hotlist", "lookup", "PRKX21", "-c", str(quiet))
    assert unsigned in stderr("hotlist", "lookup", "PRKX21", "-c", str(quiet), "--log-level", "warning")


def test_a_misspelt_log_level_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["status", "--log-level", "LOUD"])
    assert info.value.code == 2
    assert "invalid choice: 'LOUD'" in capsys.readouterr().err
