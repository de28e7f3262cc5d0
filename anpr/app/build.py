"""The composition root: builds every stage and the pipeline from the config, failing at start with clear
messages.

Only this module knows which default implementation backs each Protocol; `anpr run`, `anpr replay` and
every bench build their pipeline through `build_pipeline`, and the pipeline and the tests take built
objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anpr.app.config import AppConfig
from anpr.app.health import Health
from anpr.app.passage_events import EventPolicy
from anpr.app.pipeline import Pipeline
from anpr.app.stages import Stages
from anpr.types import PlateEvent

if TYPE_CHECKING:
    from anpr.capture.base import Source
    from anpr.hotlist.base import Matcher
    from anpr.hotlist.store import HotlistStore
    from anpr.uplink.base import AlertSink

log = logging.getLogger(__name__)

__all__ = ["Stages", "StartupError", "build_pipeline", "build_stages", "event_policy", "open_hotlist_store"]


class StartupError(Exception):
    """A stage could not be built; the message says which file or setting, and what to do."""


def event_policy(cfg: AppConfig) -> EventPolicy:
    """What rides along with each event, from `[uplink]` (the car sends it; a replay prints the same)."""
    up = cfg.uplink
    return EventPolicy(
        crop_for_hits=up.crop_for_hits,
        crop_for_reads=up.crop_for_reads,
        crop_max_bytes=up.crop_max_bytes,
        lone_read_floor=up.lone_read_floor,
    )


def open_hotlist_store(cfg: AppConfig) -> HotlistStore:
    """The hotlist store of `cfg` (the daemon keeps it to sync it). Raises `StartupError`."""
    from anpr.hotlist import build_hotlist

    try:
        return build_hotlist(cfg.hotlist, cfg.state_dir)
    except Exception as err:
        raise StartupError(f"hotlist {cfg.hotlist.db!r} cannot be opened: {err}") from err


def build_stages(
    cfg: AppConfig,
    *,
    with_uplink: bool,
    hotlist: Matcher | None = None,
    on_event: Callable[[PlateEvent], None] | None = None,
    status_provider: Callable[[], dict[str, Any]] | None = None,
) -> Stages:
    """Build every stage (`hotlist`: a matcher already opened, else the configured store is opened).

    Raises `StartupError` with an actionable message when one cannot be built."""
    from anpr.detect import build_detector, for_camera
    from anpr.detect.motion import MotionGate
    from anpr.gps import Clock, build_position
    from anpr.ocr import build_reader
    from anpr.track import build_tracker
    from anpr.uplink import build_alerts, build_uplink

    try:
        Path(cfg.state_dir).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StartupError(f"state_dir {cfg.state_dir!r} cannot be created: {err}") from err
    try:
        detector = build_detector(cfg.detector)
        reader = build_reader(cfg.reader)
    except Exception as err:  # ModelError and friends carry the file and the fix in their message
        raise StartupError(str(err)) from err
    matcher = hotlist if hotlist is not None else open_hotlist_store(cfg)
    clock = Clock(min_year=cfg.gps.min_valid_year, max_offset_s=cfg.gps.clock_max_offset_s)
    position = build_position(cfg.gps, clock)
    sink = None
    alerts = None
    if with_uplink:
        try:
            sink = build_uplink(cfg.uplink, cfg.device_id, cfg.state_dir, status_provider or dict)
        except Exception as err:  # PublisherError: unusable TLS/password settings, named in the message
            raise StartupError(str(err)) from err
        alerts = build_alerts(cfg.uplink, sink)
    tracker_cfg = cfg.tracker
    return Stages(
        detectors={c.id: for_camera(detector, cfg.detector, c.id) for c in cfg.cameras},
        reader=reader,
        make_tracker=lambda camera_id: build_tracker(tracker_cfg),
        motion=MotionGate(cfg.detector.motion, cfg.detector.roi) if cfg.detector.motion.enabled else None,
        matcher=matcher,
        position=position,
        sink=sink,
        alerts=alerts,
        on_event=on_event,
    )


def build_sources(cfg: AppConfig) -> list[Source]:
    """One source per `[[cameras]]` table. Raises `StartupError` (unknown kind, unusable file or device)."""
    from anpr.capture import build_source

    try:
        return [build_source(c) for c in cfg.cameras]
    except Exception as err:  # SourceError names the camera and the file or device
        raise StartupError(str(err)) from err


def build_pipeline(
    cfg: AppConfig,
    *,
    sources: Sequence[Source] | None = None,
    with_uplink: bool = False,
    hotlist: Matcher | None = None,
    on_event: Callable[[PlateEvent], None] | None = None,
    alerts: AlertSink | None = None,
    decorate: Callable[[Stages], Stages] | None = None,
    health: Health | None = None,
    status_extra: Callable[[], dict[str, Any]] | None = None,
) -> Pipeline:
    """The pipeline of `cfg`: its stages, its cameras' sources (or `sources`) and the `[uplink]` event policy.

    `with_uplink`: events go to the outbox and the broker (whose status message reports this pipeline)
    and hits raise the in-car alerts; without it events only reach `on_event`. `alerts` replaces the alert
    sink (a bench's timing recorder); `decorate` wraps the built stages (a bench's timers, the replay's
    annotator); `health` replaces the counters (the daemon's Prometheus-metered ones); `status_extra` adds
    keys to the MQTT status message (the daemon's loss at its last exit, once).
    Raises `StartupError` with an actionable message when a stage or a source cannot be built.
    """
    from anpr.app.status import uplink_status

    built: list[Pipeline] = []

    def status() -> dict[str, Any]:
        # The publisher starts (and may report) before the pipeline exists: nothing to say until then.
        if not built:
            return {}
        return {**uplink_status(built[0], device_id=cfg.device_id), **(status_extra() if status_extra else {})}

    stages = build_stages(cfg, with_uplink=with_uplink, hotlist=hotlist, on_event=on_event, status_provider=status)
    try:
        if alerts is not None:
            stages = replace(stages, alerts=alerts)
        if decorate is not None:
            stages = decorate(stages)
        srcs = list(sources) if sources is not None else build_sources(cfg)
        pipeline = Pipeline(
            srcs,
            stages,
            device_id=cfg.device_id,
            policy=event_policy(cfg),
            health=health,
            workers=cfg.inference_workers,
            live_depth=cfg.live_queue_frames,
            live_max_wait_s=cfg.live_max_wait_ms / 1000.0,
        )
    except BaseException:
        if stages.sink is not None:  # its publisher thread is already running
            stages.sink.close(0.0)
        raise
    built.append(pipeline)
    return pipeline
