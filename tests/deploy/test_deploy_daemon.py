"""`anpr run` as systemd runs it: a real process, a real notify socket, the metrics endpoint, SIGTERM."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from helpers.deploy import ANPR, SECRET, Daemon, NotifySocket, free_port, gantry_config, scrape, short_clip, wait_until

pytestmark = pytest.mark.slow

LANE1_PROCESSED = 'anpr_frames_processed_total{camera="lane1"}'
LANE1_FRAMES = 'anpr_frames_total{camera="lane1"}'
LANE1_HITS = 'anpr_hits_total{camera="lane1"}'
CLIP_FRAMES = 60  # HZTV41 (a hit) is in view from frame 0: events come out of a short clip too


def _metrics(port: int) -> dict[str, float]:
    try:
        return scrape(port)
    except OSError:
        return {}


def _outbox(tmp: Path) -> tuple[str, list[dict[str, object]]]:
    db = sqlite3.connect(tmp / "state" / "outbox.sqlite")
    try:
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = [json.loads(p) for (p,) in db.execute("SELECT payload FROM events ORDER BY id")]
    finally:
        db.close()
    return check, rows


DEPLOY_MD = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
_SUFFIXES = ("_bucket", "_sum", "_count", "_created")  # a histogram's samples


def _documented_metrics() -> tuple[set[str], set[str]]:
    """The metric names docs/deploy.md lists (its `[metrics] enabled` item), and of those the MQTT-only ones."""
    text = DEPLOY_MD.read_text()
    item = text[text.index("- `[metrics] enabled = true`") :].split("\n- ", 1)[0]
    names = set(re.findall(r"`(anpr_[a-z_]+)", item))
    mqtt = set(re.findall(r"`(anpr_mqtt_[a-z_]+)", item))
    return names, mqtt


def _family(sample: str) -> str:
    name = sample.split("{", 1)[0]
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _check_documented(scraped: dict[str, float]) -> None:
    """Every metric the docs list is in a live scrape (MQTT ones only with a broker), and nothing undocumented."""
    documented, mqtt_only = _documented_metrics()
    assert len(documented) > 20 and mqtt_only, documented
    families = {_family(k) for k in scraped if k.startswith("anpr_")}
    assert documented - families == mqtt_only, "listed in docs/deploy.md but not scraped"
    assert families - documented == set(), "scraped but not listed in docs/deploy.md"


def _emitted(log: str) -> int:
    m = re.search(r"anpr stopped: (\d+) event\(s\) emitted", log)
    assert m, f"no shutdown line in the log:\n{log[-2000:]}"
    return int(m.group(1))


def _check_journal_lines(log: str) -> None:
    """Python log lines carry an sd-daemon priority; no secret anywhere (FFmpeg's own lines included)."""
    assert SECRET not in log
    ours = [ln for ln in log.splitlines() if " anpr." in ln]
    assert ours, log[-2000:]
    assert all(re.match(r"<[2-7]>(DEBUG|INFO|WARNING|ERROR|CRITICAL) anpr\.", ln) for ln in ours), ours[:5]
    assert not any(re.match(r"<\d>\d{4}-\d\d-\d\d", ln) for ln in ours), "journald adds the time itself"


def test_ready_watchdog_metrics_stall_and_clean_stop(tmp_path: Path, notify: NotifySocket) -> None:
    port = free_port()
    clip = short_clip(tmp_path, CLIP_FRAMES)
    cfg = gantry_config(tmp_path, metrics_port=port, dead_camera=True, video=clip)
    daemon = Daemon(cfg, notify, tmp_path)
    try:
        assert wait_until(lambda: bool(notify.times("READY=1")), 60), daemon.log()[-3000:]
        assert wait_until(lambda: bool(notify.times("WATCHDOG=1")), 30), "no watchdog ping while frames flow"
        first = _metrics(port)
        assert wait_until(lambda: _metrics(port).get(LANE1_PROCESSED, 0) > first.get(LANE1_PROCESSED, 0) + 5, 20, 0.5)
        live = _metrics(port)
        assert live['anpr_camera_connected{camera="lane2"}'] == 0.0  # the dead RTSP camera
        info = [k for k, v in live.items() if k.startswith("anpr_model_info{") and v == 1.0]
        assert info and 'detector="plate-detector' in info[0] and 'reader="plate-reader' in info[0]
        assert live["__body_has_secret__"] == 0.0
        assert any(k.startswith('anpr_stage_latency_seconds_bucket{le="0.1",stage="detect"}') for k in live)
        _check_documented(live)
        assert live['anpr_stage_errors_total{stage="outbox"}'] == 0.0  # every stage from 0, not absent

        # The file ends while lane2 stays dead: the daemon keeps running but must stop pinging.
        ended = wait_until(lambda: _metrics(port).get(LANE1_FRAMES) == CLIP_FRAMES, 60, step=0.5)
        assert ended, (_metrics(port).get(LANE1_FRAMES), daemon.log()[-2000:])
        end = time.monotonic()
        assert wait_until(lambda: time.monotonic() - max(notify.times("WATCHDOG=1")) > 4.0, 15, 0.2), "pings went on"
        assert daemon.proc.poll() is None, "the daemon must stay up (a dead camera is systemd's WatchdogSec job)"
        assert len(notify.times("STATUS=")) >= 2 and max(notify.times("STATUS=")) > end  # alive, just not pinging
        silent_since = max(notify.times("WATCHDOG=1"))
        time.sleep(2.0)
        assert max(notify.times("WATCHDOG=1")) == silent_since

        st = subprocess.run([str(ANPR), "status", "-c", str(cfg), "--json"], capture_output=True, text=True, timeout=30)
        assert st.returncode == 0, st.stderr
        body = json.loads(st.stdout)
        assert body["state"] == "running" and body["status_age_s"] < 5
        assert body["status"]["sources"]["lane2"]["connected"] is False
        assert body["status"]["health"]["cameras"]["lane1"]["frames"] == CLIP_FRAMES
        # HZTV41's passage is still open (the file ended, the daemon runs on): its hit counts already.
        hits = _metrics(port)[LANE1_HITS]
        assert hits >= 1 and body["status"]["health"]["cameras"]["lane1"]["hits"] == hits
        assert SECRET not in st.stdout

        assert daemon.terminate() == 0
        assert notify.times("STOPPING=1")
        log = daemon.log()
        _check_journal_lines(log)
        check, rows = _outbox(tmp_path)
        assert check == "ok"
        assert len(rows) == _emitted(log) >= 1  # every event the pipeline emitted is in the outbox
        status = json.loads((tmp_path / "state" / "status.json").read_text())
        assert status["state"] == "stopped" and SECRET not in json.dumps(status)
        after = subprocess.run([str(ANPR), "status", "-c", str(cfg)], capture_output=True, text=True, timeout=30)
        assert after.returncode == 3 and "stopped" in after.stdout and "pending" in after.stdout
    finally:
        daemon.stop()


def test_sigterm_mid_stream_flushes_open_passages(tmp_path: Path, notify: NotifySocket) -> None:
    port = free_port()
    cfg = gantry_config(tmp_path, metrics_port=port, dead_camera=False)
    daemon = Daemon(cfg, notify, tmp_path)
    try:
        assert wait_until(lambda: bool(notify.times("READY=1")), 60), daemon.log()[-3000:]
        # HZTV41 (a hotlist hit) is in view for frames 0-91: stop while its passage is still open.
        assert wait_until(lambda: _metrics(port).get(LANE1_PROCESSED, 0) >= 30, 30, 0.2)
        at_stop = _metrics(port).get(LANE1_PROCESSED, 0)
        assert at_stop < 85, "the stop came too late to catch an open passage"
        assert daemon.terminate() == 0
        log = daemon.log()
        check, rows = _outbox(tmp_path)
        assert check == "ok"
        assert len(rows) == _emitted(log)
        finals = [r for r in rows if r["final"] and r["plate"] == "HZTV41"]
        assert finals, f"the open passage was not flushed into the outbox: {[(r['plate'], r['final']) for r in rows]}"
    finally:
        daemon.stop()
