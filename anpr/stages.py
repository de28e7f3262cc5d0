"""The composition root: builds every stage from the config, failing at start with clear messages.

Only this module (and the CLI) knows which default implementation backs each Protocol; the pipeline
and the tests take built objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anpr.config import AppConfig
from anpr.pipeline import Stages
from anpr.types import PlateEvent

log = logging.getLogger(__name__)


class StartupError(Exception):
    """A stage could not be built; the message says which file or setting, and what to do."""


def state_path(cfg: AppConfig, path: str) -> str:
    """Relative state files live under `state_dir`; absolute ones are used as given."""
    p = Path(path)
    if p.is_absolute():
        return str(p)
    base = Path(cfg.state_dir)
    # The defaults already say "state/..."; don't nest state/state/.
    if p.parts and p.parts[0] == base.name:
        p = Path(*p.parts[1:])
    return str(base / p)


def build_stages(
    cfg: AppConfig,
    *,
    with_uplink: bool,
    on_event: Callable[[PlateEvent], None] | None = None,
    status_provider: Callable[[], dict[str, Any]] | None = None,
) -> Stages:
    from anpr.detect import build_detector
    from anpr.gps import build_position
    from anpr.hotlist import open_hotlist
    from anpr.ocr import build_reader
    from anpr.track.tracker import IouTracker
    from anpr.uplink import LocalAlerts, build_uplink

    Path(cfg.state_dir).mkdir(parents=True, exist_ok=True)
    try:
        detector = build_detector(cfg.detector)
        reader = build_reader(cfg.reader)
    except Exception as err:  # ModelError and friends carry the file and the fix in their message
        raise StartupError(str(err)) from err

    hotlist = open_hotlist(cfg.hotlist, cfg.state_dir)
    position = build_position(cfg.gps)
    sink = build_uplink(cfg.uplink, cfg.device_id, cfg.state_dir, status_provider or dict) if with_uplink else None
    tracker_cfg = cfg.tracker
    return Stages(
        detector=detector,
        reader=reader,
        make_tracker=lambda camera_id: IouTracker(tracker_cfg),
        matcher=hotlist,
        position=position,
        sink=sink,
        alerts=LocalAlerts(cfg.uplink) if with_uplink else None,
        on_event=on_event,
        rois={c.id: c.roi for c in cfg.cameras if c.roi is not None},
    )
