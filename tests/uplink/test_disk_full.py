"""A full disk loses no hit: a small real tmpfs holds the state folder (mounting needs root; skipped otherwise).

The filler file stands for whatever else fills an SD card (logs, another program): the disk really is
full, SQLite really fails with SQLITE_FULL.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.uplink import Mosquitto, Subscriber, free_port, make_event, wait_until

from anpr.control.ingest import status_validator
from anpr.uplink.outbox import Outbox
from anpr.uplink.reserve import DiskReserve
from anpr.uplink.wire import event_to_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "state"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk says ENOSPC."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
    return filler


def _events(n: int, kind: str) -> list[tuple[str, str, bytes]]:
    out: list[tuple[str, str, bytes]] = []
    for i in range(n):
        ev = make_event(kind, plate=f"BBCD{10 + i % 90}", crop=b"\xff" * 3000)
        out.append((ev.event_id, ev.kind, event_to_json(ev)))
    return out


def test_reserve_lets_hits_commit_on_a_full_disk(tmpfs: Path) -> None:
    reserve = DiskReserve(tmpfs, 1 << 20)
    box = Outbox(tmpfs / "outbox.sqlite", reserve=reserve)
    assert reserve.held and box.stats().reserve_held
    assert box.put_many(_events(40, "read"))
    filler = fill(tmpfs)
    hits = _events(20, "hit")
    stored = [box.put(*h) for h in hits]
    st = box.stats()
    assert all(stored), st  # every hit on disk, none only in memory
    assert st.pending_hits == 20 and st.in_memory == 0 and reserve.released == 1 and not st.reserve_held
    filler.unlink()
    assert box.retry_spill() == 0
    assert reserve.ensure_every(0.0) and reserve.held  # once the disk has room the reserve is made again
    assert box.close() == (0, 0)


def test_without_room_events_wait_in_memory_and_a_loss_is_counted(tmpfs: Path) -> None:
    box = Outbox(tmpfs / "outbox.sqlite", reserve=None)
    filler = fill(tmpfs)
    ok = [box.put(*e) for e in _events(8, "hit")]
    st = box.stats()
    assert not all(ok) and st.disk_full and st.in_memory >= 1
    assert st.pending_hits == 8  # pending counts those in memory too: `anpr queue status` shows them
    filler.unlink()
    assert box.retry_spill() == 0 and not box.stats().disk_full
    filler = fill(tmpfs)
    ok = [box.put(*e) for e in _events(8, "hit")]
    held = box.stats().in_memory
    assert held >= 1
    assert box.close() == (held, 0)  # what memory held when the disk stayed full is counted as lost
    filler.unlink()
    box = Outbox(tmpfs / "outbox.sqlite")
    assert box.stats().pending_hits == 16 - held
    box.close()


def test_daemon_on_a_full_disk_says_what_it_lost_and_starts_again(tmpfs: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "full.toml"
    cfg.write_text(
        f'state_dir = "{tmpfs}"\n[uplink]\nenabled = true\nhost = "127.0.0.1"\nport = 9\ndisk_reserve_mb = 0\n'
        f'[hotlist]\ncsv = "{ROOT}/sample_videos/hotlist.csv"\n'
        f'[[cameras]]\nid = "cam0"\nkind = "file"\nuri = "{ROOT}/sample_videos/gantry_day.mp4"\n'
    )
    anpr = [sys.executable, "-m", "anpr", "run", "-c", str(cfg)]
    # 200 KB: room for the databases to open, none for the events (the drill).
    subprocess.run(["mount", "-o", "remount,size=200k", str(tmpfs)], check=True)
    small = subprocess.run(anpr, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert "Traceback" not in small.stderr
    assert small.returncode == 75, small.stderr[-3000:]  # EX_TEMPFAIL: systemd restarts it (never on 2)
    assert "LOST at exit" in small.stderr and "hit(s)" in small.stderr
    subprocess.run(["mount", "-o", "remount,size=3m", str(tmpfs)], check=True)
    filler = fill(tmpfs)  # now not even the databases' WAL files fit: a clear line and 75 again, not 2
    full = subprocess.run(anpr, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert "Traceback" not in full.stderr
    assert full.returncode == 75, full.stderr[-3000:]
    assert "state disk is full" in full.stderr or "LOST at exit" in full.stderr, full.stderr[-3000:]
    filler.unlink()
    again = subprocess.run(anpr, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert again.returncode == 0, again.stderr[-3000:]  # the databases recover and it runs
    assert "LOST" not in again.stderr


def _car_config(state: Path, port: int, dead_camera: bool) -> str:
    dead = f'[[cameras]]\nid = "cam1"\nkind = "rtsp"\nuri = "rtsp://127.0.0.1:{free_port()}/x"\n' if dead_camera else ""
    return (
        f'device_id = "car-7"\nstate_dir = "{state}"\n'
        f'[uplink]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\ndisk_reserve_mb = 0\nstatus_interval_s = 1\n'
        f"[metrics]\nstatus_interval_s = 0.5\n"
        f'[hotlist]\ncsv = "{ROOT}/sample_videos/hotlist.csv"\n'
        f'[[cameras]]\nid = "cam0"\nkind = "file"\nuri = "{ROOT}/sample_videos/gantry_day.mp4"\n{dead}'
    )


def _status(cfg: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "anpr", "status", "-c", str(cfg), *extra], capture_output=True, text=True, timeout=60
    )


def test_events_lost_at_exit_are_shown_after_the_restart_and_sent_once(
    tmpfs: Path, tmp_path: Path, mosquitto_factory: Callable[..., Mosquitto]
) -> None:
    broker = mosquitto_factory(start=False)  # down: nothing leaves, everything waits in the outbox
    cfg = tmp_path / "car.toml"
    cfg.write_text(_car_config(tmpfs, broker.port, dead_camera=False))
    anpr = [sys.executable, "-m", "anpr", "run", "-c", str(cfg)]
    subprocess.run(["mount", "-o", "remount,size=200k", str(tmpfs)], check=True)
    first = subprocess.run(anpr, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert first.returncode == 75, first.stderr[-3000:]
    m = re.search(r"LOST at exit: (\d+) hit\(s\) and (\d+) read\(s\)", first.stderr)
    assert m, first.stderr[-3000:]
    hits, reads = int(m.group(1)), int(m.group(2))
    lost = hits + reads
    assert lost > 0
    subprocess.run(["mount", "-o", "remount,size=3m", str(tmpfs)], check=True)

    stopped = _status(cfg)  # the daemon is down (systemd would restart it): the loss is already shown
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr
    assert f"events lost at last exit: {lost} (" in stopped.stdout, stopped.stdout

    broker.start()
    sub = Subscriber(broker.port, "anpr/car-7/status")
    assert sub.subscribed.wait(10)
    cfg.write_text(_car_config(tmpfs, broker.port, dead_camera=True))  # a camera nobody serves keeps it up
    err = (tmp_path / "second.log").open("wb")
    daemon = subprocess.Popen(anpr, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
    try:
        status_file = tmpfs / "status.json"
        assert wait_until(lambda: f'"pid": {daemon.pid},' in status_file.read_text(), 60)  # this run's snapshot
        running = _status(cfg)
        assert running.returncode == 0, running.stdout + running.stderr
        assert f"events lost at last exit: {lost} (" in running.stdout, running.stdout
        body = json.loads(_status(cfg, "--json").stdout)["status"]["lost_at_last_exit"]
        assert (body["events"], body["hits"], body["reads"]) == (lost, hits, reads), body
        # Three status messages that report the cameras: the loss rides on the first of them only.
        assert wait_until(lambda: sum("cameras" in s for s in sub.statuses) >= 3, 30), sub.statuses
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(60)
        err.close()
        sub.close()
    assert code == 0, (tmp_path / "second.log").read_text()[-3000:]
    online = [s for s in sub.statuses if s["state"] == "online" and "cameras" in s]
    carrying = [i for i, s in enumerate(online) if "lost_at_last_exit" in s]
    assert carrying == [0], [sorted(s) for s in online]
    assert online[0]["lost_at_last_exit"] == body
    assert status_validator().reason(online[0]) is None  # the control room's schema accepts it

    after = _status(cfg)  # that run exited cleanly: its exit lost nothing
    assert after.returncode == 3 and "lost at last exit" not in after.stdout, after.stdout
