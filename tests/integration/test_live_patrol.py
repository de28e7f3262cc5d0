"""A live patrol car, end to end: the patrol clip served by a real RTSP server, a serial GPS on a real pty
sending the clip's route stamped with the current time, the hotlist pulled over HTTPS from a real TLS
server before the car sees the plate, then SIGTERM while the car ahead is still in view.

Issue 7 done-when (live): events carry a current fix (not null, not stale) moving along the route, and
`anpr gps status` shows source, fix, age and clock offset. Issue 6: the HTTPS source delivers a signed list
that raises a hit. Issue 2: an `rtsp` camera works through `anpr run`. SIGTERM: exit 0, no traceback, the
open passage (the car ahead, in view for the whole clip) flushed into the outbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.integration import (
    Daemon,
    NmeaPty,
    Signer,
    anpr,
    assert_clean_log,
    bbox,
    iso,
    outbox_rows,
    wait_until,
    write_config,
)

from anpr.bench.rtsp import RtspCamera

TARGET = "JXVR58"  # the car ahead: in view from the first frame to the last


@pytest.mark.slow
def test_live_patrol_rtsp_serial_gps_https_hotlist_sigterm(
    tmp_path: Path,
    rtsp_player: Callable[..., RtspCamera],
    https_server: tuple[Any, str, Path],
    signer: Signer,
) -> None:
    server, url, ca = https_server
    server.body = signer.sign([TARGET], version=3)
    gps = NmeaPty(tmp_path / "gps0", rate_hz=2.0)
    cam = rtsp_player("patrol.mp4", 1280, 720, 30)
    state = tmp_path / "state"
    cfg = write_config(
        tmp_path / "anpr.toml",
        {"device_id": "movil-it", "state_dir": str(state)},
        [{"id": "front", "kind": "rtsp", "uri": cam.url, "open_timeout_s": 5.0, "read_timeout_s": 5.0}],
        hotlist={"csv": "", "trusted_keys": [str(signer.public)], "https_url": url, "https_ca": str(ca),
                 "https_poll_s": 1.0},
        gps={"kind": "serial", "serial_port": str(gps.link), "max_age_s": 3.0, "no_sentence_timeout_s": 5.0},
    )  # fmt: skip
    outbox = state / "outbox.sqlite"
    daemon = Daemon(cfg, tmp_path / "anpr.log")
    try:
        # Wait for the early hit on the car ahead and for two passages that ended (oncoming/parked cars).
        def progressed() -> bool:
            rows = outbox_rows(outbox)
            early = any(r["plate"] == TARGET and r["kind"] == "hit" for r in rows)
            return early and sum(1 for r in rows if r["final"] and r["kind"] == "read") >= 2

        ok = wait_until(progressed, 90, step=0.25)
        assert daemon.proc.poll() is None, f"anpr run ended early:\n{daemon.log()[-3000:]}"
        before = {r["event_id"] for r in outbox_rows(outbox)}
        assert ok, f"no hit + two reads from the live stream; outbox {sorted(before)}\n{daemon.log()[-3000:]}"
        daemon.terminate()
        rc = daemon.wait(30)
    finally:
        daemon.kill()
        cam.stop()
    log = daemon.log()
    assert rc == 0, f"SIGTERM exit code {rc}:\n{log[-3000:]}"
    assert_clean_log(log)
    assert "received SIGTERM" in log
    assert "from https:" in log and "applied" in log, log[-3000:]
    assert re.search(r"HIT JXVR58 .* capture-to-alert \d+ ms", log), log[-3000:]

    rows = outbox_rows(outbox)
    flushed = [r for r in rows if r["event_id"] not in before]
    assert any(r["plate"] == TARGET and r["final"] for r in flushed), (
        f"the open passage of {TARGET} was not flushed at SIGTERM: {[(r['plate'], r['final']) for r in flushed]}"
    )
    hits = [r for r in rows if r["kind"] == "hit"]
    assert {r["plate"] for r in hits} == {TARGET}
    assert all(r["match"]["list_version"] == 3 for r in hits)

    # Positions: current (from the live receiver), inside what the pty sent, moving west along the route.
    sent = [(lat, lon) for _, lat, lon in gps.written]
    lat_lo, lat_hi, lon_lo, lon_hi = bbox(sent, margin=1e-5)
    final = sorted((r for r in rows if r["final"]), key=lambda r: r["last_seen"])
    assert len(final) >= 3
    for r in rows:
        fix = r["fix"]
        assert fix is not None, f"{r['plate']}: fix null on a live serial source"
        assert fix["source"].startswith("serial") and not fix["stale"] and fix["age_s"] <= 1.5, fix
        assert lat_lo <= fix["lat"] <= lat_hi and lon_lo <= fix["lon"] <= lon_hi, (
            fix,
            (lat_lo, lat_hi, lon_lo, lon_hi),
        )
        assert abs((iso(fix["fixed_at"]) - iso(r["last_seen"])).total_seconds()) <= 1.5
    lons = [r["fix"]["lon"] for r in final]
    assert lons == sorted(lons, reverse=True) and lons[0] > lons[-1], lons

    # `anpr gps status` against the same receiver (the daemon has let go of the port).
    res = anpr("gps", "status", "-c", str(cfg), "--wait", "5", timeout=60)
    gps.close()
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert f"source:  serial:{gps.link}" in out, out
    assert "fix:     -29.9" in out and re.search(r"age:\s+\d+\.\d s", out), out
    assert re.search(r"clock:\s+offset [+-]\d+\.\d+ s", out), out
