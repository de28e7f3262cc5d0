"""`anpr hotlist sign` signs only what is valid, and a unit refuses a snapshot that empties or guts its list."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.hotlist import car_plates

from anpr.cli.main import main
from anpr.hotlist import document
from anpr.hotlist.store import HotlistStore

HEAD = "plate,reason\n"
BAD_ROWS = {"AEIO12": "vowels", "ABC": "too short", "ABCDEFGHIJKLMN": "14 characters", "<script>": "markup"}


@pytest.fixture
def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert main(["hotlist", "keygen", "--out", "cc"]) == 0
    return tmp_path


def _sign(csv_text: str, *extra: str, version: int = 1) -> int:
    Path("list.csv").write_text(csv_text)
    return main(["hotlist", "sign", "list.csv", "--key", "cc.key", "--version", str(version), "--out", "l.gz", *extra])


def test_sign_refuses_invalid_rows_naming_each(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"{p},robo\n" for p in ["HZTV41", *BAD_ROWS])
    assert _sign(HEAD + rows) == 2
    err = capsys.readouterr().err
    assert not Path("l.gz").exists()
    for line, plate in enumerate(BAD_ROWS, start=3):  # header is line 1, HZTV41 line 2
        assert f"line {line}: {plate!r}" in err, err
    assert "4 invalid row(s)" in err and "--skip-invalid" in err


def test_skip_invalid_signs_the_rest_and_counts(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"{p},robo\n" for p in ["HZTV41", "KC4521", *BAD_ROWS])
    assert _sign(HEAD + rows, "--skip-invalid") == 0
    assert "2 entries, 4 invalid row(s) skipped" in capsys.readouterr().out
    doc = document.read_unverified(Path("l.gz").read_bytes())
    assert sorted(e["plate"] for e in doc.entries) == ["HZTV41", "KC4521"]


def test_unbalanced_quote_is_refused_not_signed_as_one_entry(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _sign(HEAD + 'HZTV41,"robo\nKC4521,robo\nPRKX21,robo\n') == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "quote" in err
    assert not Path("l.gz").exists()


def test_empty_list_needs_allow_shrink(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _sign(HEAD) == 2
    assert "--allow-shrink" in capsys.readouterr().err
    assert _sign(HEAD, "--allow-shrink") == 0


def test_binary_or_text_files_are_clear_errors(room: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("noise.bin").write_bytes(os.urandom(4096) + b"\xff\xfe")
    Path("a.toml").write_text('state_dir = "st"\n[hotlist]\ncsv = ""\ntrusted_keys = ["noise.bin"]\n')
    assert main(["hotlist", "import", "-c", "a.toml", "noise.bin"]) == 2
    err = capsys.readouterr().err
    assert "noise.bin" in err and "Traceback" not in err
    assert _sign(HEAD + "HZTV41,robo\n") == 0
    assert main(["hotlist", "verify", "-c", "a.toml", "l.gz"]) == 2
    err = capsys.readouterr().err
    assert "noise.bin" in err and "binary" in err


def _snapshot(key: Ed25519PrivateKey, version: int, plates: list[str], allow_shrink: bool = False) -> bytes:
    from datetime import datetime, timezone

    body = document.make_body(
        "snapshot", "national", version, [{"plate": p} for p in plates], issued_at=datetime.now(timezone.utc),
        allow_shrink=allow_shrink,
    )  # fmt: skip
    return document.encode(body, key)


def test_unit_refuses_a_snapshot_that_guts_the_list(
    make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    plates = car_plates(100)
    store = make_store()
    assert store.apply_bytes(_snapshot(key, 1, plates), "t") == "applied"
    assert store.apply_bytes(_snapshot(key, 2, plates[:40]), "t") == "refused"  # 60 % gone
    status = store.status()
    assert status.version == 1 and status.entries == 100
    assert str(status.last_refusal).startswith("shrink")
    assert store.apply_bytes(_snapshot(key, 3, []), "t") == "refused"  # empty
    assert store.apply_bytes(_snapshot(key, 4, plates[:60]), "t") == "applied"  # 40 % gone: within the limit
    assert store.apply_bytes(_snapshot(key, 5, plates[:10], allow_shrink=True), "t") == "applied"
    assert store.status().entries == 10


def test_invalid_entries_in_a_signed_document_are_counted(
    make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    store = make_store()
    assert store.apply_bytes(_snapshot(key, 1, ["HZTV41", "KC4521", "AEIO12"]), "t") == "applied"
    status = store.status()
    assert status.entries == 2 and status.skipped_entries == 1
