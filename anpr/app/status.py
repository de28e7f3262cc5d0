"""The daemon's health as one JSON-able dict: collected live, written atomically, read by `anpr status`.

The running daemon rewrites `{state_dir}/status.json` every few seconds (temp file, fsync, rename), so a
technician's `anpr status` needs neither a socket nor the daemon's privileges, and a power cut leaves the
old snapshot or the new one. When the daemon is not running, `offline_status` reads the outbox and the
hotlist straight from their SQLite files. The same dict feeds the Prometheus collector (`anpr.app.metrics`).
Nothing here carries a URL or a password: cameras are named by id only.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anpr.app.config import AppConfig
    from anpr.app.pipeline import Pipeline
    from anpr.gps.base import Position

log = logging.getLogger(__name__)

SCHEMA = 1


def _plain(value: Any) -> Any:
    """Dataclasses to dicts and datetimes to ISO strings, so the result survives `json.dumps`."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _part(fn: Callable[[], Any]) -> Any:
    """One section of the status; a failing part reports its error instead of hiding the others."""
    try:
        return _plain(fn())
    except Exception as err:
        return {"error": f"{type(err).__name__}: {err}"}


def _cameras(pipeline: Pipeline) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for source in pipeline.sources:
        st = source.stats()
        out[source.camera_id] = {
            "live": source.live,
            "connected": st.connected,
            "grabbed": st.grabbed,
            "delivered": st.frames,
            "dropped": st.dropped,
            "corrupt": st.corrupt,
            "reconnects": st.reconnects,
        }
    return out


def _gps(position: Position) -> dict[str, Any]:
    st = position.status()
    return {
        "source": st.source,
        "connected": st.connected,
        "fix_age_s": st.fix_age_s,
        "fixes": st.fixes,
        "rejected": st.rejected,
        "reconnects": st.reconnects,
        "clock_offset_s": st.clock_offset_s,
        "error": st.error,
    }


def collect(pipeline: Pipeline, *, device_id: str) -> dict[str, Any]:
    """A snapshot of everything a technician (or Prometheus) asks about a running pipeline."""
    stages = pipeline.stages
    now = datetime.now(timezone.utc)
    status: dict[str, Any] = {
        "schema": SCHEMA,
        "device_id": device_id,
        "pid": os.getpid(),
        "written_at": now.isoformat(),
        "written_unix": now.timestamp(),
        "health": _part(lambda: pipeline.health.snapshot().to_dict()),
        "last_frame_age_s": _part(pipeline.health.last_frame_age),
        "sources": _part(lambda: _cameras(pipeline)),
        "events_emitted": pipeline.events_emitted,
        "models": {
            "detector": next(iter(stages.detectors.values())).version,
            "reader": stages.reader.version,
        },
        "outbox": None,
        "mqtt": None,
        "hotlist": None,
        "gps": None,
    }
    sink, matcher, position = stages.sink, stages.matcher, stages.position
    if sink is not None:
        status["outbox"] = _part(sink.outbox_stats)
        status["mqtt"] = _part(sink.mqtt_stats)
    if matcher is not None:
        status["hotlist"] = _part(matcher.status)
    if position is not None:
        status["gps"] = _part(lambda: _gps(position))
    return status


def write_atomic(path: Path, status: dict[str, Any]) -> None:
    """Replace `path` with `status` as JSON: temp file in the same folder, fsync, rename, fsync the folder."""
    data = json.dumps(status, sort_keys=True, default=str).encode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # a technician without the service's user may read it (it holds no secret)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def status_path(cfg: AppConfig) -> Path | None:
    if not cfg.metrics.status_file:
        return None
    return Path(cfg.state_dir) / cfg.metrics.status_file  # an absolute status_file overrides state_dir


def read_status(path: Path) -> tuple[dict[str, Any] | None, float | None]:
    """The last snapshot and its age in seconds; (None, None) when absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    written = data.get("written_unix")
    age = time.time() - float(written) if isinstance(written, (int, float)) else None
    return data, age


def offline_status(cfg: AppConfig) -> dict[str, Any]:
    """Outbox and hotlist read from their files (the daemon is not running). Creates nothing."""
    from anpr.hotlist.store import HotlistStore, store_path
    from anpr.uplink.sink import open_outbox, outbox_path

    out: dict[str, Any] = {"device_id": cfg.device_id, "outbox": None, "hotlist": None}
    opath = outbox_path(cfg.uplink, cfg.state_dir)
    if opath.is_file():

        def outbox() -> Any:
            box = open_outbox(cfg.uplink, cfg.state_dir)
            try:
                return box.stats()
            finally:
                box.close()

        out["outbox"] = _part(outbox)
    else:
        out["outbox"] = {"error": f"no outbox at {opath}"}
    hpath = store_path(cfg.hotlist, cfg.state_dir)
    if hpath.is_file():

        def hotlist() -> Any:
            store = HotlistStore(hpath, cfg.hotlist, {})  # no keys: status only, nothing is applied
            try:
                return store.status()
            finally:
                store.close()

        out["hotlist"] = _part(hotlist)
    else:
        out["hotlist"] = {"error": f"no hotlist at {hpath}"}
    return out


def summary_line(st: dict[str, Any]) -> str:
    """One line for `systemctl status` (sd_notify STATUS=): cameras, fps, outbox, hotlist."""
    cams = (st.get("health") or {}).get("cameras") or {}
    fps = " ".join(f"{cid} {c.get('fps', 0):.1f}fps" for cid, c in cams.items()) or "no frames yet"
    box = st.get("outbox") or {}
    parts = [fps]
    if "pending_hits" in box:
        parts.append(f"outbox {box['pending_hits']} hit(s) {box['pending_reads']} read(s)")
    hl = st.get("hotlist") or {}
    if "entries" in hl:
        parts.append(f"hotlist v{hl.get('version')} {hl['entries']} entries{' STALE' if hl.get('stale') else ''}")
    return "; ".join(parts)


def uplink_status(pipeline: Pipeline, *, device_id: str) -> dict[str, Any]:
    """The part of `collect` the retained MQTT status message carries (the uplink adds its outbox):
    fps per camera, camera connection, model versions, hotlist version and age, fix age."""
    full = collect(pipeline, device_id=device_id)
    cams = (full.get("health") or {}).get("cameras") or {}
    sources = full.get("sources") or {}
    hotlist = full.get("hotlist") or {}
    gps = full.get("gps") or {}
    return {
        "cameras": {
            cid: {"fps": c.get("fps"), "connected": (sources.get(cid) or {}).get("connected")}
            for cid, c in cams.items()
        },
        "models": full.get("models"),
        "hotlist": {k: hotlist.get(k) for k in ("version", "age_s", "stale", "entries")} if hotlist else None,
        "fix": {k: gps.get(k) for k in ("source", "connected", "fix_age_s")} if gps else None,
    }
