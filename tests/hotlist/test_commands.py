"""`anpr hotlist …` end to end: a control room makes keys and documents, a device imports and looks up."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from anpr.cli.main import main

HEAD = "plate,list_name,reason,priority,source,note,covert\n"
V1 = (
    HEAD + "BBCL12,robados,robo,3,carabineros,,0\nHJPS44,robados,encargo,5,fiscalia,,1\nBB?L1*,testigos,testigo,1,,,0\n"
)
V2 = HEAD + "BBCL12,robados,robo,4,carabineros,,0\nKZGS97,robados,robo,2,,,0\n"


@pytest.fixture
def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("v1.csv").write_text(V1)
    Path("v2.csv").write_text(V2)
    Path("a.toml").write_text('state_dir = "st"\n[hotlist]\ncsv = ""\ntrusted_keys = ["cc.pub"]\nfile = "in.gz"\n')
    return tmp_path


def test_control_room_to_device(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotlist", "keygen", "--out", "cc"]) == 0
    assert os.stat("cc.key").st_mode & 0o077 == 0  # private key readable by its owner only
    assert main(["hotlist", "sign", "v1.csv", "--key", "cc.key", "--version", "1", "--out", "v1.gz"]) == 0
    assert main(["hotlist", "sign", "v2.csv", "--key", "cc.key", "--version", "2", "--out", "v2.gz"]) == 0
    capsys.readouterr()
    assert main(["hotlist", "diff", "v1.gz", "v2.gz", "--key", "cc.key", "--out", "d12.gz"]) == 0
    out = capsys.readouterr().out
    assert "- BB?L1* [testigos]" in out and "+ KZGS97 [robados]" in out and "~ BBCL12 [robados]" in out
    assert main(["hotlist", "verify", "-c", "a.toml", "d12.gz"]) == 0
    assert "OK delta 1->2" in capsys.readouterr().out

    assert main(["hotlist", "import", "-c", "a.toml", "v1.gz"]) == 0
    assert main(["hotlist", "lookup", "-c", "a.toml", "HJPS44"]) == 0
    assert "COVERT" in capsys.readouterr().out
    assert main(["hotlist", "lookup", "-c", "a.toml", "bb-xl 19"]) == 0
    assert "wildcard match" in capsys.readouterr().out

    Path("in.gz").write_bytes(Path("d12.gz").read_bytes())  # the watched file of the config
    assert main(["hotlist", "sync", "-c", "a.toml"]) == 0
    assert "file:in.gz: applied" in capsys.readouterr().out
    assert main(["hotlist", "lookup", "-c", "a.toml", "KZCS97"]) == 0
    assert "fuzzy match (distance 1) KZGS97" in capsys.readouterr().out
    assert main(["hotlist", "lookup", "-c", "a.toml", "HJPS44"]) == 1  # removed by the delta

    assert main(["hotlist", "import", "-c", "a.toml", "v1.gz"]) == 1  # older version refused
    capsys.readouterr()
    assert main(["hotlist", "status", "-c", "a.toml", "--json"]) == 1
    st = json.loads(capsys.readouterr().out)
    assert st["version"] == 2 and st["entries"] == 2 and st["last_refusal"].startswith("older-version")

    assert main(["hotlist", "export", "-c", "a.toml"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["plate"], r["priority"], r["covert"]) for r in rows] == [("BBCL12", "4", "0"), ("KZGS97", "2", "0")]


def test_verify_refuses_tampered(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["hotlist", "keygen", "--out", "cc"])
    main(["hotlist", "keygen", "--out", "evil"])
    main(["hotlist", "sign", "v1.csv", "--key", "evil.key", "--version", "9", "--out", "evil.gz"])
    capsys.readouterr()
    assert main(["hotlist", "verify", "-c", "a.toml", "evil.gz"]) == 1
    assert "REFUSED unknown-key" in capsys.readouterr().out
    assert main(["hotlist", "verify", "--pub", "evil.pub", "evil.gz"]) == 0


def test_bad_config_is_a_clear_error(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("bad.toml").write_text("[hotlist]\nfuzy = true\n")
    assert main(["hotlist", "status", "-c", "bad.toml"]) == 2
    assert "fuzy" in capsys.readouterr().err
    Path("nokey.toml").write_text('[hotlist]\ncsv = ""\ntrusted_keys = ["missing.pub"]\n')
    assert main(["hotlist", "status", "-c", "nokey.toml"]) == 2
    assert "missing.pub" in capsys.readouterr().err


def test_bench_runs_small(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotlist", "bench", "--size", "2000", "--json", "--dir", str(room)]) == 0
    fig = json.loads(capsys.readouterr().out)
    assert fig["size"] == 2000 and fig["wildcard_patterns"] > 900  # figures are printed, never asserted
    assert all(fig[k] > 0 for k in ("exact_lookup_us", "fuzzy_lookup_ms", "delta_10k_apply_s", "db_mb"))
