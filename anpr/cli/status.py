"""`anpr status`: the running daemon's health for a technician at the console.

Reads the snapshot the daemon rewrites every few seconds (`[metrics] status_file`); when that is missing
or stale the daemon is not running (or hung), and the outbox and hotlist are read from their files.
Exit codes: 0 running, 1 snapshot stale (daemon hung or stopped uncleanly), 3 not running, 2 bad config.
"""

from __future__ import annotations

import argparse
from typing import Any

from anpr.cli.common import add_config, add_json, load_config, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("status", help="health of the running daemon: cameras, outbox, hotlist, position")
    add_config(p, "the daemon's TOML config (default: built-in defaults)")
    add_json(p)
    p.set_defaults(func=_cmd_status)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return "-" if value is None else str(value)


def render(st: dict[str, Any]) -> list[str]:
    """Human lines for a status dict (live snapshot or offline read)."""
    lines: list[str] = []
    health = st.get("health") or {}
    sources = st.get("sources") or {}
    cams = health.get("cameras") or {}
    for cid in dict.fromkeys([*sources, *cams]):  # a camera that never gave a frame is listed too
        cam, src = cams.get(cid) or {}, sources.get(cid) or {}
        state = "connected" if src.get("connected") else "DISCONNECTED" if src.get("live") else "file"
        lines.append(
            f"camera {cid:10} {state:12} {cam.get('fps', 0):5.1f} fps  frames {cam.get('frames', 0)}  "
            f"dropped {cam.get('queue_dropped', 0) + src.get('dropped', 0)}  reads {cam.get('reads', 0)}  "
            f"passages {cam.get('passages', 0)} (unread {cam.get('unread', 0)})  hits {cam.get('hits', 0)}  "
            f"reconnects {src.get('reconnects', 0)}"
        )
    if health.get("errors"):
        lines.append("errors   " + ", ".join(f"{k} {v}" for k, v in health["errors"].items()))
    for stage, ms in (health.get("stage_ms") or {}).items():
        lines.append(f"latency  {stage:8} p50 {_fmt(ms.get('p50'))} ms  p95 {_fmt(ms.get('p95'))} ms")
    if st.get("models"):
        lines.append("models   " + ", ".join(f"{k} {v}" for k, v in st["models"].items()))
    box = st.get("outbox")
    if isinstance(box, dict) and "error" not in box:
        lines.append(
            f"outbox   {box.get('pending_hits')} hit(s) + {box.get('pending_reads')} read(s) pending, "
            f"oldest {_fmt(box.get('oldest_pending_age_s'))} s, evicted {box.get('evicted_reads')}, "
            f"disk full {box.get('disk_full')}"
        )
    elif box:
        lines.append(f"outbox   {box.get('error')}")
    mqtt = st.get("mqtt")
    if isinstance(mqtt, dict):
        lines.append(f"mqtt     connected {mqtt.get('connected')}, published {mqtt.get('published')}")
    hl = st.get("hotlist")
    if isinstance(hl, dict) and "error" not in hl:
        lines.append(
            f"hotlist  {hl.get('list_name')} v{_fmt(hl.get('version'))}, {hl.get('entries')} entries, "
            f"age {_fmt(hl.get('age_s'))} s{' STALE' if hl.get('stale') else ''}"
        )
    elif hl:
        lines.append(f"hotlist  {hl.get('error')}")
    lost = st.get("lost_at_last_exit")
    if isinstance(lost, dict):
        lines.append(
            f"LOST     events lost at last exit: {lost.get('events')} ({lost.get('at')}): {lost.get('hits')} "
            f"hit(s) and {lost.get('reads')} read(s) the full disk could not hold"
        )
    gps = st.get("gps")
    if isinstance(gps, dict) and "error" not in gps:
        lines.append(
            f"position {gps.get('source')} connected {gps.get('connected')}, fix age {_fmt(gps.get('fix_age_s'))} s"
            + (f", {gps['error']}" if gps.get("error") else "")
        )
    return lines


def _exited_since(report: dict[str, Any], snap: dict[str, Any] | None) -> bool:
    """Whether the daemon recorded a loss at its exit after its last snapshot was written."""
    from datetime import datetime

    lost, written = report.get("lost_at_last_exit"), (snap or {}).get("written_unix")
    if not isinstance(lost, dict) or not isinstance(written, (int, float)):
        return False
    try:
        at = datetime.fromisoformat(str(lost.get("at")).replace("Z", "+00:00"))
    except ValueError:
        return False
    return at.timestamp() >= float(written)


def _cmd_status(args: argparse.Namespace) -> int:
    from anpr.app.status import offline_status, read_status, status_path

    cfg = load_config(args)
    path = status_path(cfg)
    snap, age = read_status(path) if path is not None else (None, None)
    # Three missed rewrites: the daemon is gone or its status thread is stuck.
    fresh = snap is not None and age is not None and age < 3 * cfg.metrics.status_interval_s + 2
    if snap is not None and fresh and snap.get("state") != "stopped":
        state, code, report = "running", 0, snap
    else:
        state = "stopped" if snap is not None and snap.get("state") == "stopped" else "not running"
        code = 3
        if snap is not None and snap.get("state") != "stopped":
            state, code = "stale", 1
        report = offline_status(cfg)
        if state == "stale" and _exited_since(report, snap):
            state, code = "stopped", 3  # it stopped on a full disk, which also kept its last snapshot out
    if args.json:
        print_json({"state": state, "status_age_s": age, "status": report})
        return code
    where = str(path) if path is not None else "(no status file configured)"
    if state == "running":
        print(f"anpr {cfg.device_id}: running (pid {snap.get('pid') if snap else '-'}, status {age:.1f} s old)")
    elif state == "stale":
        print(f"anpr {cfg.device_id}: STALE: {where} is {_fmt(age)} s old; the daemon is hung or was killed")
    else:
        print(f"anpr {cfg.device_id}: {state} ({where} {'absent' if snap is None else f'{_fmt(age)} s old'})")
    for line in render(report):
        print("  " + line)
    return code
