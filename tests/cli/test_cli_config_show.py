"""`anpr config show` prints TOML that `anpr config check` accepts back and that loads to the same config;
passwords inside URLs never leave the machine in it. And `anpr completion` prints working scripts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from anpr.app.config import load
from anpr.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("source", [None, "examples/gantry.toml", "examples/patrol-car.toml"])
def test_show_toml_round_trips_through_check(
    source: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert main(["config", "show", *(["-c", source] if source else [])]) == 0
    saved = tmp_path / "shown.toml"
    saved.write_text(capsys.readouterr().out)
    # The examples name files of the unit they are for (/etc/anpr/...): only their settings are checked here.
    assert main(["config", "check", "-c", str(saved), *(["--no-files"] if source else [])]) == 0
    assert "OK" in capsys.readouterr().out
    assert load(str(saved)).model_dump() == load(source).model_dump()


def test_show_hides_url_passwords_in_toml_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "gantry.toml"
    conf.write_text(
        f'state_dir = "{tmp_path}"\n[[cameras]]\nid = "north"\nkind = "rtsp"\n'
        'uri = "rtsp://admin:s3cret@10.0.0.5:554/stream1"\n'
    )
    assert main(["config", "show", "-c", str(conf), "--toml"]) == 0
    toml_text = capsys.readouterr().out
    assert main(["config", "show", "-c", str(conf), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "s3cret" not in toml_text and "s3cret" not in json.dumps(doc)
    assert doc["cameras"][0]["uri"] == "rtsp://admin:***@10.0.0.5:554/stream1"
    saved = tmp_path / "shown.toml"
    saved.write_text(toml_text)
    assert main(["config", "check", "-c", str(saved)]) == 0  # still a valid config (with a placeholder)


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_script_names_the_commands(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for word in ("replay", "hotlist", "queue", "lookup", "publish-hotlist", "completion", "--config", "--output"):
        assert word in script, word


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash not installed")
def test_bash_completes_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """Load the script into a real bash and ask it what `anpr hotlist lo<TAB>` completes to."""
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    probe = (
        script
        + '\nCOMP_WORDS=(anpr hotlist lo); COMP_CWORD=2; COMP_LINE="anpr hotlist lo"; COMP_POINT=${#COMP_LINE}\n'
        + "_shtab_anpr anpr lo hotlist; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    res = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert res.stdout.split() == ["lookup"], res.stderr
