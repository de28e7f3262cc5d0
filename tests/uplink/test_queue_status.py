"""`anpr queue status` reads the outbox without writing it, and says so when there is none yet."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from helpers.uplink import make_event

from anpr.uplink.config import UplinkConfig
from anpr.uplink.sink import open_outbox
from anpr.uplink.wire import event_to_json

ROOT = Path(__file__).resolve().parents[2]


def _anpr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anpr", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _config(tmp_path: Path) -> Path:
    conf = tmp_path / "car.toml"
    conf.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    return conf


def test_status_without_an_outbox_creates_nothing(tmp_path: Path) -> None:
    conf = _config(tmp_path)
    before = _files(tmp_path)
    for extra in ([], ["--json"]):
        res = _anpr("queue", "status", "-c", str(conf), *extra)
        assert res.returncode == 3, res.stderr
        assert res.stdout == ""
        assert f"no outbox at {tmp_path / 'state' / 'outbox.sqlite'}: nothing queued yet" in res.stderr
        assert "Traceback" not in res.stderr
    assert _files(tmp_path) == before == {"car.toml"}  # not the outbox, nor its folder


def test_status_reads_an_outbox_without_changing_it(tmp_path: Path) -> None:
    conf = _config(tmp_path)
    box = open_outbox(UplinkConfig(disk_reserve_mb=0), tmp_path / "state")
    for ev in (make_event("hit"), make_event("read"), make_event("read")):
        box.put(ev.event_id, ev.kind, event_to_json(ev))
    box.close()
    db = tmp_path / "state" / "outbox.sqlite"
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    before = _files(tmp_path)
    res = _anpr("queue", "status", "-c", str(conf), "--json")
    assert res.returncode == 0, res.stderr
    st = json.loads(res.stdout)
    assert (st["pending_hits"], st["pending_reads"], st["path"]) == (1, 2, str(db))
    assert st["reserve_held"] is False  # the config wants a reserve; making it is the daemon's job, not ours
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    # SQLite's WAL index files are all a read-only reader may leave beside the database.
    assert _files(tmp_path) - before <= {"state/outbox.sqlite-wal", "state/outbox.sqlite-shm"}


def test_status_help_documents_the_exit_status() -> None:
    res = _anpr("queue", "status", "--help")
    assert res.returncode == 0
    assert "3 no outbox yet" in " ".join(res.stdout.split())
