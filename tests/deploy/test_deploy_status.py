"""Status file, `anpr status`, the Prometheus collector, journald log lines and the reader's providers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers.deploy import ANPR, ROOT
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from anpr.app.metrics import MeteredHealth, StatusCollector
from anpr.app.status import read_status, write_atomic
from anpr.app.status_record import CameraCounts, CameraSource, HealthSnapshot, Latency, PartError, Status
from anpr.capture.base import SourceStats
from anpr.hotlist.base import HotlistStatus
from anpr.uplink.outbox_schema import OutboxStats


def _config(tmp: Path) -> Path:
    path = tmp / "anpr.toml"
    path.write_text(f'device_id = "gantry-x"\nstate_dir = "{tmp / "state"}"\n[metrics]\nstatus_interval_s = 1\n')
    return path


def _status(cfg: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ANPR), "status", "-c", str(cfg)], capture_output=True, text=True, timeout=60)


def test_write_atomic_replaces_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_atomic(path, {"written_unix": time.time() - 7.0, "x": 1})
    write_atomic(path, {"written_unix": time.time() - 3.0, "x": 2})
    data, age = read_status(path)
    assert data is not None and data["x"] == 2 and age is not None and 2.5 < age < 5
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temp file left behind
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    path.write_text("{half a fi")  # a torn file (it cannot happen through write_atomic) reads as absent
    assert read_status(path) == (None, None)


def test_status_offline_reads_outbox_and_hotlist(tmp_path: Path) -> None:
    from anpr.app.config import load
    from anpr.hotlist import build_hotlist
    from anpr.uplink.sink import open_outbox

    cfg_path = _config(tmp_path)
    cfg = load(cfg_path)
    nothing = _status(cfg_path)
    assert nothing.returncode == 3 and "not running" in nothing.stdout and "no outbox" in nothing.stdout
    assert not (tmp_path / "state" / "outbox.sqlite").exists()  # status creates nothing
    box = open_outbox(cfg.uplink, cfg.state_dir)
    box.put("e1", "hit", b"{}")
    box.put("e2", "read", b"{}")
    box.close()
    build_hotlist(
        cfg.hotlist.model_copy(update={"csv": str(ROOT / "sample_videos" / "hotlist.csv")}), cfg.state_dir
    ).close()
    out = _status(cfg_path)
    assert out.returncode == 3
    assert "1 hit(s) + 1 read(s) pending" in out.stdout and "5 entries" in out.stdout


def test_status_fresh_and_stale_snapshot(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    (tmp_path / "state").mkdir()
    snap = {
        "written_unix": time.time(), "state": "running", "pid": 4242,
        "health": {"cameras": {"lane1": {"fps": 12.5, "frames": 10, "reads": 3}}},
        "sources": {"lane1": {"live": True, "connected": True}, "lane2": {"live": True, "connected": False}},
        "outbox": {"pending_hits": 2, "pending_reads": 5, "oldest_pending_age_s": 9.0},
    }  # fmt: skip
    write_atomic(tmp_path / "state" / "status.json", snap)
    fresh = _status(cfg)
    assert fresh.returncode == 0, fresh.stderr
    assert (
        "running (pid 4242" in fresh.stdout
        and "DISCONNECTED" in fresh.stdout
        and "2 hit(s) + 5 read(s)" in fresh.stdout
    )
    write_atomic(tmp_path / "state" / "status.json", {**snap, "written_unix": time.time() - 60})
    stale = _status(cfg)
    assert stale.returncode == 1 and "STALE" in stale.stdout


def _scrape(registry: CollectorRegistry) -> dict[str, float]:
    text = generate_latest(registry).decode()
    return {
        s.name + json.dumps(s.labels, sort_keys=True): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def test_collector_maps_status_to_metrics() -> None:
    health = HealthSnapshot(
        uptime_s=5.0,
        cameras={"lane1": CameraCounts(frames=10, processed=9, reads=4, fps=3.5)},
        errors={"detect": 2},
        stage_ms={"detect": Latency(30.0, 40.0, 9)},
        alert_ms=None,
    )
    box = OutboxStats(
        pending_hits=1, pending_reads=3, pending_bytes=100, oldest_pending_age_s=7.5, stored_bytes=400,
        delivered_kept=2, evicted_reads=4, expired_reads=0, in_memory=0, disk_full=False, last_error=None,
    )  # fmt: skip
    hotlist = HotlistStatus(
        version=12, list_name="national", issued_at=None, key_id=None, entries=5, local_entries=0, age_s=3600.0,
        stale=False, last_sync_attempt=None, last_sync_success=None, last_refusal=None, last_refusal_at=None,
        skipped_entries=0,
    )  # fmt: skip
    st = Status(
        device_id="gantry-x",
        pid=1,
        written_at=datetime.now(timezone.utc),
        health=health,
        last_frame_age_s=0.5,
        sources={"lane1": CameraSource(True, SourceStats(frames=9, dropped=1, connected=True, grabbed=10))},
        events_emitted=3,
        models={"detector": "det:abc", "reader": "rec@def"},
        outbox=box,
        mqtt={"connected": True, "published": 6},
        hotlist=hotlist,
        gps=PartError("RuntimeError: boom"),  # a failing part is skipped, the rest still scrapes
    )
    registry = CollectorRegistry()
    registry.register(StatusCollector(lambda: st))
    got = _scrape(registry)
    assert got['anpr_frames_total{"camera": "lane1"}'] == 10
    assert got['anpr_camera_fps{"camera": "lane1"}'] == 3.5
    assert got['anpr_frames_source_dropped_total{"camera": "lane1"}'] == 1
    assert got['anpr_camera_connected{"camera": "lane1"}'] == 1
    assert got['anpr_stage_errors_total{"stage": "detect"}'] == 2
    assert got['anpr_outbox_pending{"kind": "read"}'] == 3
    assert got["anpr_outbox_oldest_age_seconds{}"] == 7.5
    assert got["anpr_outbox_evicted_reads_total{}"] == 4
    assert got["anpr_mqtt_connected{}"] == 1 and got["anpr_mqtt_published_total{}"] == 6
    assert got["anpr_hotlist_version{}"] == 12 and got["anpr_hotlist_age_seconds{}"] == 3600
    assert got['anpr_model_info{"detector": "det:abc", "reader": "rec@def"}'] == 1
    assert got["anpr_events_total{}"] == 3 and got["anpr_uptime_seconds{}"] == 5
    assert not any(k.startswith("anpr_gps") for k in got)
    # The status file is the same Status: its JSON keeps the keys `anpr status` reads.
    doc = json.loads(json.dumps(st.to_dict(state="running")))
    assert doc["health"]["cameras"]["lane1"]["queue_dropped"] == 0 and doc["health"]["alert_ms"] == {}
    assert doc["health"]["stage_ms"]["detect"] == {"p50": 30.0, "p95": 40.0, "n": 9.0}
    assert doc["sources"]["lane1"] == {
        "live": True, "connected": True, "grabbed": 10, "delivered": 9, "dropped": 1, "corrupt": 0, "reconnects": 0,
    }  # fmt: skip
    assert doc["outbox"]["pending_hits"] == 1 and doc["hotlist"]["list_name"] == "national"
    assert doc["gps"] == {"error": "RuntimeError: boom"} and doc["state"] == "running" and doc["schema"] == 1


def test_collector_survives_a_failing_provider() -> None:
    def broken() -> Status:
        raise RuntimeError("outbox locked")

    registry = CollectorRegistry()
    registry.register(StatusCollector(broken))
    assert _scrape(registry) == {}


def test_metered_health_feeds_histograms() -> None:
    registry = CollectorRegistry()
    health = MeteredHealth(registry)
    health.stage_time("detect", 30.0)
    health.stage_time("detect", 300.0)
    got = _scrape(registry)
    assert got['anpr_stage_latency_seconds_bucket{"le": "0.05", "stage": "detect"}'] == 1
    assert got['anpr_stage_latency_seconds_count{"stage": "detect"}'] == 2
    assert health.snapshot().stage_ms["detect"].n == 2  # the base counters still work


_LOG = """
import logging
from anpr.cli.main import _setup_logging
_setup_logging("DEBUG")
log = logging.getLogger("anpr.capture.rtsp")
log.info("camera %s: up", "lane1")
log.warning("camera %s: lost", "lane1")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("boom")
"""


@pytest.mark.parametrize("journal", [True, False])
def test_log_lines_for_journald(tmp_path: Path, journal: bool) -> None:
    err_path = tmp_path / "stderr"
    with open(err_path, "wb") as err:
        st = os.fstat(err.fileno())
        stream = f"{st.st_dev}:{st.st_ino}" if journal else f"{st.st_dev}:{st.st_ino + 1}"  # + 1: another stream
        env = {**os.environ, "JOURNAL_STREAM": stream}
        subprocess.run([sys.executable, "-c", _LOG], stderr=err, env=env, timeout=60, check=True)
    lines = err_path.read_text().splitlines()
    if journal:
        assert lines[0] == "<6>INFO anpr.capture.rtsp: camera lane1: up"
        assert lines[1] == "<4>WARNING anpr.capture.rtsp: camera lane1: lost"
        assert lines[2] == "<3>ERROR anpr.capture.rtsp: boom"
        assert all(ln.startswith("<3>") for ln in lines[2:]) and "ZeroDivisionError" in lines[-1]
    else:
        assert lines[0].endswith("INFO anpr.capture.rtsp: camera lane1: up") and lines[0][:2] == "20"


def test_reader_providers_are_checked() -> None:
    from anpr.core.onnx_model import ModelError
    from anpr.ocr import build_reader
    from anpr.ocr.config import ReaderConfig

    cfg = ReaderConfig(model=str(ROOT / "models" / "plate-reader.onnx"), providers=("NoSuchExecutionProvider",))
    with pytest.raises(ModelError, match=r"reader\.providers"):
        build_reader(cfg)
    fallback = ReaderConfig(
        model=str(ROOT / "models" / "plate-reader.onnx"),
        providers=("TensorrtExecutionProvider", "CPUExecutionProvider"),
    )
    reader = build_reader(fallback)  # the GPU providers are skipped with a warning where absent
    assert reader.session.get_providers() == ["CPUExecutionProvider"]  # type: ignore[attr-defined]
