"""The composition root: builds every stage from the config, failing at start with clear messages.

Only this module (and the CLI) knows which default implementation backs each Protocol; the pipeline
and the tests take built objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anpr.app.config import AppConfig
from anpr.app.passage_events import EventPolicy
from anpr.app.pipeline import Stages
from anpr.types import PlateEvent

log = logging.getLogger(__name__)


class StartupError(Exception):
    """A stage could not be built; the message says which file or setting, and what to do."""


def event_policy(cfg: AppConfig) -> EventPolicy:
    up = cfg.uplink
    return EventPolicy(
        crop_for_hits=up.crop_for_hits, crop_for_reads=up.crop_for_reads, crop_max_bytes=up.crop_max_bytes
    )


def build_stages(
    cfg: AppConfig,
    *,
    with_uplink: bool,
    on_event: Callable[[PlateEvent], None] | None = None,
    status_provider: Callable[[], dict[str, Any]] | None = None,
) -> Stages:
    """Build every stage. Raises `StartupError` with an actionable message when one cannot be built."""
    from anpr.detect import build_detector, for_camera
    from anpr.gps import Clock, build_position
    from anpr.hotlist.store import open_hotlist
    from anpr.ocr.factory import build_reader
    from anpr.track.tracker import IouTracker
    from anpr.uplink import LocalAlerts, build_uplink

    try:
        Path(cfg.state_dir).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StartupError(f"state_dir {cfg.state_dir!r} cannot be created: {err}") from err
    try:
        detector = build_detector(cfg.detector)
        reader = build_reader(cfg.reader)
    except Exception as err:  # ModelError and friends carry the file and the fix in their message
        raise StartupError(str(err)) from err
    try:
        hotlist = open_hotlist(cfg.hotlist, cfg.state_dir)
    except Exception as err:
        raise StartupError(f"hotlist {cfg.hotlist.db!r} cannot be opened: {err}") from err
    clock = Clock(min_year=cfg.gps.min_valid_year, max_offset_s=cfg.gps.clock_max_offset_s)
    position = build_position(cfg.gps, clock)
    sink = None
    alerts = None
    if with_uplink:
        try:
            sink = build_uplink(cfg.uplink, cfg.device_id, cfg.state_dir, status_provider or dict)
        except Exception as err:  # PublisherError: unusable TLS/password settings, named in the message
            raise StartupError(str(err)) from err
        alerts = LocalAlerts(cfg.uplink, audit=getattr(getattr(sink, "outbox", None), "audit", None))
    tracker_cfg = cfg.tracker
    return Stages(
        detectors={c.id: for_camera(detector, cfg.detector, c.id) for c in cfg.cameras},
        reader=reader,
        make_tracker=lambda camera_id: IouTracker(tracker_cfg),
        matcher=hotlist,
        position=position,
        sink=sink,
        alerts=alerts,
        on_event=on_event,
    )
