"""`--json` on the hotlist, queue and control commands: one JSON object on stdout, read as a program would;
and `anpr hotlist lookup` shows the plate as typed (normalised) before its matches."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.uplink import Mosquitto, make_event

from anpr.cli.common import print_published
from anpr.cli.main import main

CSV = (
    "plate,list_name,reason,priority,source,note,covert\n"
    "BBCL12,robados,robo,3,carabineros,,0\nKZGS97,robados,robo,2,,,0\n"
)


def _sign(csv: str, version: int, out: str, key: str = "cc.key") -> int:
    return main(["hotlist", "sign", csv, "--key", key, "--version", str(version), "--list", "robados", "-o", out])


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out  # one object, one line
    return json.loads(out)


@pytest.fixture
def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """Keys, a signed snapshot v1 and a device config that trusts the key and syncs from a file."""
    monkeypatch.chdir(tmp_path)
    Path("v1.csv").write_text(CSV)
    assert main(["hotlist", "keygen", "-o", "cc"]) == 0
    assert _sign("v1.csv", 1, "v1.gz") == 0
    Path("a.toml").write_text(
        'state_dir = "st"\n[hotlist]\ncsv = ""\nlist_name = "robados"\ntrusted_keys = ["cc.pub"]\nfile = "in.gz"\n'
    )
    capsys.readouterr()
    return tmp_path


def test_hotlist_json_outputs(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotlist", "verify", "v1.gz", "-c", "a.toml", "--json"]) == 0
    doc = _json(capsys)
    assert (doc["ok"], doc["kind"], doc["version"], doc["entries"], doc["list_name"]) == (
        True, "snapshot", 1, 2, "robados",
    )  # fmt: skip

    assert main(["hotlist", "import", "v1.gz", "-c", "a.toml", "--json"]) == 0
    doc = _json(capsys)
    assert (doc["result"], doc["version"], doc["signed"], doc["refusal"]) == ("applied", 1, True, None)
    assert _sign("v1.csv", 2, "v2.gz") == 0
    assert main(["hotlist", "import", "v2.gz", "-c", "a.toml"]) == 0
    capsys.readouterr()
    assert main(["hotlist", "import", "v1.gz", "-c", "a.toml", "--json"]) == 1  # older than the one held
    doc = _json(capsys)
    assert doc["result"] == "refused" and doc["refusal"].startswith("older-version")

    assert main(["hotlist", "lookup", "kz-cs 97", "-c", "a.toml", "--json"]) == 0
    doc = _json(capsys)
    assert (doc["input"], doc["plate"], doc["list_version"]) == ("kz-cs 97", "KZCS97", 2)
    [m] = doc["matches"]
    assert (m["kind"], m["distance"], m["entry"]["plate"], m["entry"]["list_name"]) == ("fuzzy", 1, "KZGS97", "robados")
    assert main(["hotlist", "lookup", "AB1234", "-c", "a.toml", "--json"]) == 1
    assert _json(capsys)["matches"] == []

    Path("v3.csv").write_text(CSV + "HJPS44,robados,encargo,5,fiscalia,,0\n")
    assert _sign("v3.csv", 3, "in.gz") == 0
    capsys.readouterr()
    assert main(["hotlist", "sync", "-c", "a.toml", "--json"]) == 0
    doc = _json(capsys)
    assert doc["sources"] == [{"name": "file:in.gz", "result": "applied"}]
    assert (doc["version"], doc["entries"], doc["last_refusal"]) == (3, 3, None)


def test_refused_document_json(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotlist", "keygen", "-o", "evil"]) == 0
    assert main(["hotlist", "sign", "v1.csv", "--key", "evil.key", "--version", "9", "-o", "evil.gz"]) == 0
    capsys.readouterr()
    assert main(["hotlist", "verify", "evil.gz", "-c", "a.toml", "--json"]) == 1
    doc = _json(capsys)
    assert (doc["ok"], doc["refused"]) == (False, "unknown-key")


def test_lookup_prints_the_typed_plate_first(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotlist", "import", "v1.gz", "-c", "a.toml"]) == 0
    capsys.readouterr()
    assert main(["hotlist", "lookup", "kzcs97", "-c", "a.toml"]) == 0
    first, *rest = capsys.readouterr().out.splitlines()
    assert first.split()[0] == "KZCS97"  # what was typed, normalised; not the listed KZGS97
    assert len(rest) == 1 and "fuzzy match (distance 1) KZGS97" in rest[0]
    assert main(["hotlist", "lookup", "AB1234", "-c", "a.toml"]) == 1
    first, *rest = capsys.readouterr().out.splitlines()
    assert first.split()[0] == "AB1234" and "no match" in rest[0]


def test_queue_drain_json(broker: Mosquitto, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from anpr.uplink.config import UplinkConfig
    from anpr.uplink.sink import open_outbox
    from anpr.uplink.wire import event_to_json

    conf = tmp_path / "car.toml"
    conf.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[uplink]\nenabled = true\n'
        f'host = "127.0.0.1"\nport = {broker.port}\nreconnect_max_s = 1\n'
    )
    box = open_outbox(UplinkConfig(), tmp_path / "state")
    for ev in (make_event("hit"), make_event("read")):
        box.put(ev.event_id, ev.kind, event_to_json(ev))
    box.close()
    assert main(["queue", "drain", "-c", str(conf), "--timeout", "15", "--json"]) == 0
    doc = _json(capsys)
    assert doc == {"drained": True, "published": 2, "pending_hits": 0, "pending_reads": 0, "last_error": None}


def test_publish_hotlist_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    # The output half of `anpr control publish-hotlist` (the publish itself is tested in tests/control).
    from anpr.control.publish import Published

    pub = Published(topic="anpr/hotlist/robados", list_name="robados", version=8, entries=2, sha256="ab" * 32)
    assert print_published(argparse.Namespace(json=True), pub) == 0
    doc = _json(capsys)
    assert doc == {
        "published": True, "retained": True, "topic": "anpr/hotlist/robados", "list_name": "robados",
        "version": 8, "entries": 2, "sha256": "ab" * 32,
    }  # fmt: skip
    print_published(argparse.Namespace(json=False), pub)
    assert capsys.readouterr().out == "published robados v8 (2 entries) to anpr/hotlist/robados (retained)\n"
    assert "--json" in _leaf_help(["control", "publish-hotlist"])


def _leaf_help(words: list[str]) -> str:
    from anpr.cli.main import build_parser

    parser = build_parser()
    for w in words:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[w]
    return parser.format_help()


def test_keygen_never_overwrites_a_private_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prefix = str(tmp_path / "cc")
    assert main(["hotlist", "keygen", "-o", prefix]) == 0
    before = (tmp_path / "cc.key").read_bytes()
    capsys.readouterr()
    assert main(["hotlist", "keygen", "-o", prefix]) == 2
    assert capsys.readouterr().err.startswith(f"anpr: hotlist: {prefix}.key exists")
    assert (tmp_path / "cc.key").read_bytes() == before
