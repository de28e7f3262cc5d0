"""The daemon's status: collected live as one typed `Status`, written atomically, read by `anpr status`.

The running daemon rewrites `{state_dir}/status.json` (`Status.to_dict`) every few seconds (temp file,
fsync, rename), so a technician's `anpr status` needs neither a socket nor the daemon's privileges, and a
power cut leaves the old snapshot or the new one. When the daemon is not running, `offline_status` reads
the outbox and the hotlist straight from their SQLite files. The same `Status` feeds the Prometheus
collector (`anpr.app.metrics`) and the MQTT status message (`uplink_status`).
Nothing here carries a URL or a password: cameras are named by id only.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from anpr.app.last_exit import ExitLoss, exit_path, read_loss
from anpr.app.status_record import CameraSource, HealthSnapshot, Part, PartError, Status, plain
from anpr.gps.base import GpsStatus
from anpr.hotlist.base import HotlistStatus
from anpr.uplink.outbox_schema import OutboxStats

if TYPE_CHECKING:
    from anpr.app.config import AppConfig
    from anpr.app.pipeline import Pipeline

T = TypeVar("T")

log = logging.getLogger(__name__)


def _part(fn: Callable[[], T]) -> Part[T]:
    """One part of the status; a failing part reports its error instead of hiding the others."""
    try:
        return fn()
    except Exception as err:
        return PartError(f"{type(err).__name__}: {err}")


def _json_part(fn: Callable[[], Any]) -> Any:
    part = _part(fn)
    return {"error": part.error} if isinstance(part, PartError) else plain(part)


def _sources(pipeline: Pipeline) -> dict[str, CameraSource]:
    return {s.camera_id: CameraSource(s.live, s.stats()) for s in pipeline.sources}


def collect(pipeline: Pipeline, *, device_id: str, lost_at_last_exit: ExitLoss | None = None) -> Status:
    """The status of a running pipeline, each part read on its own (one failing part hides no other);
    `lost_at_last_exit`: what the run before lost at its exit (the daemon's, read at its start)."""
    stages = pipeline.stages
    sink, matcher, position = stages.sink, stages.matcher, stages.position
    return Status(
        device_id=device_id,
        pid=os.getpid(),
        written_at=datetime.now(timezone.utc),
        health=_part(pipeline.health.snapshot),
        last_frame_age_s=_part(pipeline.health.last_frame_age),
        sources=_part(lambda: _sources(pipeline)),
        events_emitted=pipeline.events_emitted,
        models={"detector": next(iter(stages.detectors.values())).version, "reader": stages.reader.version},
        outbox=None if sink is None else _part(sink.outbox_stats),
        mqtt=None if sink is None else _part(sink.mqtt_stats),
        hotlist=None if matcher is None else _part(matcher.status),
        gps=None if position is None else _part(position.status),
        lost_at_last_exit=lost_at_last_exit,
    )


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
    """Outbox and hotlist read from their files, and what the daemon lost at its last exit (it is not
    running). Creates nothing."""
    from anpr.hotlist.store import HotlistStore, store_path
    from anpr.uplink.sink import open_outbox, outbox_path

    loss = read_loss(exit_path(cfg.state_dir))
    out: dict[str, Any] = {"device_id": cfg.device_id, "outbox": None, "hotlist": None,
                           "lost_at_last_exit": None if loss is None else loss.to_dict()}  # fmt: skip
    opath = outbox_path(cfg.uplink, cfg.state_dir)
    if opath.is_file():

        def outbox() -> Any:
            box = open_outbox(cfg.uplink, cfg.state_dir)
            try:
                return box.stats()
            finally:
                box.close()

        out["outbox"] = _json_part(outbox)
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

        out["hotlist"] = _json_part(hotlist)
    else:
        out["hotlist"] = {"error": f"no hotlist at {hpath}"}
    return out


def summary_line(st: Status) -> str:
    """One line for `systemctl status` (sd_notify STATUS=): cameras, fps, outbox, hotlist."""
    cams = st.health.cameras if isinstance(st.health, HealthSnapshot) else {}
    parts = [" ".join(f"{cid} {c.fps:.1f}fps" for cid, c in cams.items()) or "no frames yet"]
    if isinstance(st.outbox, OutboxStats):
        parts.append(f"outbox {st.outbox.pending_hits} hit(s) {st.outbox.pending_reads} read(s)")
    hl = st.hotlist
    if isinstance(hl, HotlistStatus):
        parts.append(f"hotlist v{hl.version} {hl.entries} entries{' STALE' if hl.stale else ''}")
    return "; ".join(parts)


def uplink_status(pipeline: Pipeline, *, device_id: str) -> dict[str, Any]:
    """The part of the status the retained MQTT status message carries (the uplink adds its outbox):
    fps, passages and hits per camera, camera connection, model versions, hotlist version and age, fix age."""
    st = collect(pipeline, device_id=device_id)
    cams = st.health.cameras if isinstance(st.health, HealthSnapshot) else {}
    sources = st.sources if not isinstance(st.sources, PartError) else {}
    hl, gps = st.hotlist, st.gps
    return {
        "cameras": {
            cid: {
                "fps": c.fps,
                "connected": sources[cid].stats.connected if cid in sources else None,
                "passages": c.passages,
                "hits": c.hits,  # counted when raised, so the control room sees a hit before its passage ends
            }
            for cid, c in cams.items()
        },
        "models": dict(st.models),
        # A part that failed still gives its keys (as None), so a consumer sees the key and not the error.
        "hotlist": None if hl is None else _pick(hl, ("version", "age_s", "stale", "entries")),
        "fix": None if gps is None else _pick(gps, ("source", "connected", "fix_age_s")),
        "position": position_of(gps),
    }


def position_of(gps: GpsStatus | PartError | None) -> dict[str, Any] | None:
    """Where the car is now, for the control room's map (the newest real fix; None without one)."""
    fix = gps.last_fix if isinstance(gps, GpsStatus) else None
    if fix is None:
        return None
    at = fix.fixed_at if fix.fixed_at.tzinfo else fix.fixed_at.replace(tzinfo=timezone.utc)
    return {
        "lat": round(fix.lat, 6),
        "lon": round(fix.lon, 6),
        "heading_deg": None if fix.heading_deg is None else round(fix.heading_deg, 1) % 360.0,
        "speed_mps": None if fix.speed_mps is None else round(max(0.0, fix.speed_mps), 2),
        "fixed_at": at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def _pick(part: HotlistStatus | GpsStatus | PartError, keys: tuple[str, ...]) -> dict[str, Any]:
    plain = {} if isinstance(part, PartError) else asdict(part)
    return {k: plain.get(k) for k in keys}
