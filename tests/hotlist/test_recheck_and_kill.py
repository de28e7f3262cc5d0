"""Re-check of recent reads after an update, and a kill -9 in the middle of an apply."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.hotlist import car_plates, delta, snapshot

from anpr.hotlist import keys
from anpr.hotlist.base import RecheckHit
from anpr.hotlist.store import HotlistStore
from anpr.types import Candidate


def test_recheck_raises_hit_for_read_before_update(
    make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    store = make_store()
    store.apply_bytes(snapshot(key, 1, [{"plate": "BBCL12"}]), "t")
    hits: list[RecheckHit] = []
    store.add_recheck_listener(hits.append)
    seen = datetime(2024, 1, 1, tzinfo=timezone.utc)  # a replayed video's time: the window counts from arrival
    store.remember_read("KZGS97", (), "ev-1", seen, "car")
    store.remember_read("BBCL12", (), "ev-2", seen, "car")  # already a hit when read: not raised again
    store.remember_read("PRTV11", (Candidate("PRTV17", 0.2, "car"),), "ev-3", seen, "car")
    assert store.apply_bytes(delta(key, 1, 2, [{"plate": "KZGS97", "reason": "robo"}, {"plate": "PRTV17"}]), "t")
    assert sorted((h.event_id, h.match.kind, h.match.entry.plate) for h in hits) == [
        ("ev-1", "exact", "KZGS97"),
        ("ev-3", "fuzzy", "PRTV17"),
    ]
    assert hits[0].seen_at == seen and hits[0].match.list_version == 2
    hits.clear()
    store.apply_bytes(delta(key, 2, 3, [{"plate": "DRTW55"}]), "t")
    assert hits == []  # nothing new for those reads


def test_recheck_window(make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey) -> None:
    store = make_store(recheck_window_s=0.2)
    store.remember_read("KZGS97", (), "ev-old", datetime.now(timezone.utc), "car")
    time.sleep(0.3)
    store.remember_read("KZGS98", (), "ev-new", datetime.now(timezone.utc), "car")
    store.apply_bytes(snapshot(key, 1, [{"plate": "KZGS97"}, {"plate": "KZGS98"}]), "t")
    assert [h.event_id for h in store.recheck()] == []  # already reported by the apply
    assert len(store.recent) == 1


def test_recheck_listener_error_is_contained(make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey) -> None:
    store = make_store()
    got: list[str] = []

    def broken(hit: RecheckHit) -> None:
        raise RuntimeError("listener bug")

    store.add_recheck_listener(broken)
    store.add_recheck_listener(lambda h: got.append(h.event_id))
    store.remember_read("KZGS97", (), "ev-1", datetime.now(timezone.utc), "car")
    assert store.apply_bytes(snapshot(key, 1, [{"plate": "KZGS97"}]), "t") == "applied"
    assert got == ["ev-1"]


_APPLIER = """
import logging, sys
from pathlib import Path
from anpr.hotlist import keys
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.store import HotlistStore
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
db, doc, pub = sys.argv[1:4]
k = keys.load_public_key(pub)
store = HotlistStore(db, HotlistConfig(csv=None), {keys.key_id(k): k})
print(store.apply_bytes(Path(doc).read_bytes(), "killed"), flush=True)
"""


OLD, NEW = car_plates(1000), car_plates(150_000)[1000:]


@pytest.fixture(scope="module")
def big_doc(key: Ed25519PrivateKey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    doc = tmp_path_factory.mktemp("doc") / "v2.gz"
    doc.write_bytes(snapshot(key, 2, [{"plate": p} for p in NEW]))
    return doc


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.3, 3.0])
def test_kill_9_mid_apply_leaves_old_or_new(
    tmp_path: Path, make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey, big_doc: Path, delay: float
) -> None:
    old, new, doc = OLD, NEW, big_doc
    store = make_store(db=str(tmp_path / "h.sqlite"))
    store.apply_bytes(snapshot(key, 1, [{"plate": p} for p in old]), "t")
    store.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _APPLIER, str(tmp_path / "h.sqlite"), str(doc), keys.public_b64(key.public_key())],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "apply v2 begun" in line:
            break
    else:
        pytest.fail(f"applier ended before the apply began: {proc.wait()}")
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    conn = sqlite3.connect(tmp_path / "h.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    version = conn.execute("SELECT version FROM meta").fetchone()[0]
    plates = {r[0] for r in conn.execute("SELECT plate FROM entries")}
    conn.close()
    assert (version, plates) in ((1, set(old)), (2, set(new)))
    if delay == 0.0:  # killed within milliseconds of BEGIN: 149 000 inserts cannot have committed
        assert version == 1
    reopened = make_store(db=str(tmp_path / "h.sqlite"))
    assert reopened.version() == version and reopened.status().entries == len(plates)


def test_matching_continues_during_a_big_apply(
    make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey, big_doc: Path
) -> None:
    import threading

    from helpers.hotlist import read

    store = make_store()
    store.apply_bytes(snapshot(key, 1, [{"plate": p} for p in OLD]), "t")
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(store.apply_bytes(big_doc.read_bytes(), "big")))
    worker.start()
    answers = []
    while worker.is_alive():
        m = store.match(read(OLD[0], "car"))  # never "database is locked": reads go through their own connection
        answers.append(m.list_version if m else store.version())
    worker.join()
    assert result == ["applied"] and store.version() == 2
    assert answers.count(1) > 10  # the old list kept answering while v2 was being written
    after = store.match(read(OLD[0], "car"))
    assert after is None or after.kind == "fuzzy"  # gone from v2 (a confusable neighbour may remain)
    assert store.match(read(NEW[-1], "car")) is not None
