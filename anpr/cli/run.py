"""`anpr run`, `anpr replay` and `anpr config`: the spine's commands."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anpr.app.config import AppConfig

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the daemon: cameras → plates → hotlist → outbox/MQTT")
    p.add_argument("-c", "--config", help="TOML config file (default: built-in demo config)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("replay", help="replay a video file and print the plate events the car would send")
    p.add_argument("video", help="video file (or a folder of images)")
    p.add_argument("-c", "--config", help="TOML config file (its cameras are replaced by the video)")
    p.add_argument("--truth", help="ground-truth sidecar (.truth.json) to score the events against")
    p.add_argument("--format", choices=("json", "text"), default="json", help="event lines: JSON (default) or text")
    p.add_argument("--json", action="store_true", help="print the summary (and score) as one JSON object")
    p.add_argument("--nmea", help="NMEA log aligned to the video (default: VIDEO.nmea when it exists)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    p.add_argument("--annotate", metavar="OUT.mp4", help="also write the frames with boxes, reads, hits and fix")
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser("config", help="check or show a config")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    for name, helptext in (
        ("check", "validate a config file"),
        ("show", "print the effective config as TOML-like JSON"),
    ):
        q = csub.add_parser(name, help=helptext)
        q.add_argument("-c", "--config", help="TOML config file (default: built-in defaults)")
        q.set_defaults(func=_cmd_config, action=name)


def _load(path: str | None) -> AppConfig | None:
    from anpr.app.config import ConfigError, load

    try:
        return load(path)
    except ConfigError as err:
        print(f"anpr: {err}", file=sys.stderr)
        return None


def _cmd_config(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    if cfg is None:
        return 2
    if args.action == "show":
        print(json.dumps(cfg.model_dump(mode="json"), indent=2))
    else:
        print(f"{args.config or 'built-in defaults'}: OK ({len(cfg.cameras)} camera(s))")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from anpr.app.daemon import run_daemon

    cfg = _load(args.config)
    if cfg is None:
        return 2
    return run_daemon(cfg)


def _cmd_replay(args: argparse.Namespace) -> int:
    from anpr.app.replay import replay

    cfg = _load(args.config)
    if cfg is None:
        return 2
    return replay(
        cfg,
        Path(args.video),
        truth=Path(args.truth) if args.truth else None,
        fmt=args.format,
        summary_json=args.json,
        nmea=Path(args.nmea) if args.nmea else None,
        progress=not args.no_progress and sys.stderr.isatty(),
        annotate=Path(args.annotate) if args.annotate else None,
    )
