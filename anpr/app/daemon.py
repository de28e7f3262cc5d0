"""`anpr run`: the long-running service of the car and the gantry.

SIGINT/SIGTERM stop the cameras, drain in-flight frames, end open passages and flush the outbox before
exit; events it still could not write (a full disk) are recorded for the next start (anpr.app.last_exit).
Under systemd (`Type=notify`) it reports READY once the stages are built, and pings the watchdog only while
frames actually flow, so a hung camera or inference thread trips `WatchdogSec=`.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from anpr.app.config import AppConfig
from anpr.app.last_exit import ExitLoss, ExitNote, Once, exit_path, read_loss
from anpr.app.status import collect, status_path, summary_line, write_atomic

if TYPE_CHECKING:
    from anpr.app.pipeline import Pipeline
    from anpr.app.status_record import Status

log = logging.getLogger(__name__)

EXIT_TEMPFAIL = 75
"""EX_TEMPFAIL: events held in memory could not be written before exit, or the state disk is full at start.
Not 2, which the units never restart on: a full disk is worth a restart once it has room."""

STATUS_EVERY_S = 60.0


def _notifier() -> Any:
    try:
        import sdnotify

        return sdnotify.SystemdNotifier()
    except Exception:  # not under systemd, or the library is missing: notifications are optional
        return None


def _watchdog(pipeline: Pipeline, stop: threading.Event, notify: Any, max_stall_s: float) -> None:
    """Ping systemd while frames are processed; log health every minute.

    Progress is counted after inference, not at capture: a live camera keeps delivering into the frame
    queue while a hung inference worker processes nothing, and that must trip `WatchdogSec=`.
    """
    last_status = 0.0
    done, progressed_at = 0, None
    while not stop.wait(1.0):
        processed = pipeline.health.snapshot().processed()
        now = time.monotonic()
        if processed > done:
            done, progressed_at = processed, now
        if notify is not None and progressed_at is not None and now - progressed_at < max_stall_s:
            notify.notify("WATCHDOG=1")
        last_status += 1.0
        if last_status >= STATUS_EVERY_S:
            last_status = 0.0
            log.info("health: %s", pipeline.health.snapshot().to_dict())


def _status_writer(
    path: Path, stop: threading.Event, every_s: float, collect: Callable[[], Status], notify: Any
) -> None:
    """Rewrite the status file for `anpr status`, and tell systemd a one-line summary for `systemctl status`."""
    while not stop.is_set():
        try:
            st = collect()
            write_atomic(path, st.to_dict(state="running"))
            if notify is not None:
                notify.notify(f"STATUS={summary_line(st)}")
        except Exception as err:  # a full disk must not stop the cameras; it is logged and retried
            log.warning("status file %s not written: %s", path, err)
        stop.wait(every_s)


def run_daemon(cfg: AppConfig) -> int:
    from anpr.app.build import StartupError, build_pipeline, open_hotlist_store
    from anpr.core.mqtt_credentials import CredentialError
    from anpr.hotlist.sources import start_sync

    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping cameras and flushing", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    built: list[Pipeline] = []
    note = ExitNote(exit_path(cfg.state_dir))
    previous = read_loss(note.path)  # blanked once this run is up; until then a failed start keeps it
    if previous is not None:
        log.warning(
            "the last exit (%s) lost %d hit(s) and %d read(s) it could not write",
            previous.at.isoformat(), previous.hits, previous.reads,
        )  # fmt: skip

    def snapshot() -> Status:
        return collect(built[0], device_id=cfg.device_id, lost_at_last_exit=previous)

    registry = None
    health = None
    if cfg.metrics.enabled:
        from anpr.app.metrics import MeteredHealth, build_registry

        registry = build_registry(snapshot)
        health = MeteredHealth(registry)  # stage timings then feed the histograms too
    _release_reserve_if_full(cfg)
    try:
        store = open_hotlist_store(cfg)  # kept typed: the sync sources apply documents to it
        once = Once(None if previous is None else previous.to_dict())  # the first MQTT status carries it
        pipeline = build_pipeline(cfg, with_uplink=True, hotlist=store, health=health, status_extra=once.take)
    except StartupError as err:
        if _disk_full(err):  # not a config fault: exit so that systemd tries again once there is room
            print(
                f"anpr run: cannot start: the state disk is full ({err}); free space in {cfg.state_dir}",
                file=sys.stderr,
            )
            return EXIT_TEMPFAIL
        print(f"anpr run: cannot start: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        log.exception("cannot start")
        print(f"anpr run: cannot start: {err}", file=sys.stderr)
        return 2
    built.append(pipeline)
    stages = pipeline.stages
    try:
        syncs = start_sync(cfg.hotlist, store, cfg.device_id)
    except CredentialError as err:  # an unreadable hotlist broker password or TLS file
        print(f"anpr run: cannot start: {err}", file=sys.stderr)
        if stages.sink is not None:
            stages.sink.close(0.0)
        return 2
    metrics = None
    if registry is not None:
        from anpr.app.metrics import serve

        metrics = serve(cfg.metrics, registry)
    notify = _notifier()
    watchdog = threading.Thread(
        target=_watchdog, args=(pipeline, stop, notify, max(c.read_timeout_s for c in cfg.cameras) * 2), daemon=True
    )
    watchdog.start()
    spath = status_path(cfg)
    writer = None
    if spath is not None:
        args = (spath, stop, cfg.metrics.status_interval_s, snapshot, notify)
        writer = threading.Thread(target=_status_writer, args=args, name="anpr-status", daemon=True)
        writer.start()
    if notify is not None:
        notify.notify("READY=1")
    note.reset()  # the status file and the first MQTT status say it from now on
    log.info("anpr running: device %s, %d camera(s)", cfg.device_id, len(pipeline.sources))
    lost = (0, 0)
    try:
        pipeline.run(stop)
    finally:
        stop.set()
        if notify is not None:
            notify.notify("STOPPING=1")
        for sync in syncs:
            sync.stop()
        if writer is not None:
            writer.join(timeout=5.0)  # its last "running" snapshot must not land after the "stopped" one
        if spath is not None:  # before the outbox closes: the last snapshot still counts what it holds
            try:
                write_atomic(spath, snapshot().to_dict(state="stopped"))
            except Exception as err:
                log.warning("status file %s not written: %s", spath, err)
        if metrics is not None:
            metrics.close()
        if stages.sink is not None:
            lost = stages.sink.close()
            if any(lost):
                note.record(ExitLoss(*lost, at=datetime.now(timezone.utc)))
        if stages.position is not None:
            stages.position.close()
        log.info("anpr stopped: %d event(s) emitted; %s", pipeline.events_emitted, pipeline.health.snapshot().to_dict())
    return EXIT_TEMPFAIL if any(lost) else 0


def _release_reserve_if_full(cfg: AppConfig) -> None:
    """A start on a full disk: give the reserve back first, so the databases can open their WAL files."""
    import shutil

    from anpr.uplink.sink import disk_reserve

    reserve = disk_reserve(cfg.uplink, cfg.state_dir)
    try:
        full = shutil.disk_usage(reserve.path.parent).free < 1 << 20
    except OSError:
        return
    if full:
        reserve.release()


def _disk_full(err: BaseException | None) -> bool:
    import errno
    import sqlite3

    from anpr.core.dbfile import is_full

    while err is not None:
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            return True
        # A WAL database that cannot even make its -shm file on a full disk says "disk I/O error".
        if isinstance(err, sqlite3.Error) and (is_full(err) or "disk i/o" in str(err).lower()):
            return True
        err = err.__cause__ or err.__context__
    return False
