"""`anpr run`, `anpr replay` and `anpr config`: the spine's commands."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from anpr.cli.common import add_config, add_json, load_config, print_json

log = logging.getLogger(__name__)

_REPLAY_OUTPUT = """\
stdout carries what a program reads: one line per plate event (JSON by default, see --format) and,
with --json, a last line holding the summary (and the truth score) as one JSON object whose "kind" is
"summary" (events have kind "read" or "hit"). Without --json the summary is printed as text on stderr,
after the log lines. The progress bar (on a terminal) and the log lines go to stderr.
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the daemon: cameras → plates → hotlist → outbox/MQTT")
    add_config(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "replay",
        help="replay a video file and print the plate events the car would send",
        description="Run a recorded video through the car's pipeline (no uplink) and print its events.",
        epilog=_REPLAY_OUTPUT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("video", help="video file (or a folder of images)")
    add_config(p, "TOML config file (its cameras are replaced by the video)")
    p.add_argument("--truth", help="ground-truth sidecar (.truth.json) to score the events against")
    p.add_argument(
        "--format", choices=("json", "text"), default="json", help="event lines on stdout: JSON (default) or text"
    )
    add_json(p, "end stdout with the summary (and truth score) as one JSON object (default: text on stderr)")
    p.add_argument("--nmea", help="NMEA log aligned to the video (default: VIDEO.nmea when it exists)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    p.add_argument("--annotate", metavar="OUT.mp4", help="also write the frames with boxes, reads, hits and fix")
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser("config", help="check or show a config")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    q = csub.add_parser(
        "check",
        help="validate a config file and every file it names (models and their hashes, keys, CAs, passwords)",
        description="Validate the config, then check that every file it names exists and can be read by this "
        "user and that each model matches its recorded sha256. One line per problem; exit 2 when any.",
    )
    add_config(q, "TOML config file (default: built-in defaults)")
    q.add_argument(
        "--no-files",
        action="store_true",
        help="validate the settings only, not the files they name (a config written for another machine)",
    )
    q.set_defaults(func=_cmd_config, action="check")
    q = csub.add_parser(
        "show",
        help="print the effective config (every default filled in) as TOML, or --json",
        description="Print the effective config as TOML that `anpr config check` accepts back (so it can be "
        "saved as a starting config), or as JSON with --json. Passwords inside URLs are shown as ***.",
    )
    add_config(q, "TOML config file (default: built-in defaults)")
    fmt = q.add_mutually_exclusive_group()
    fmt.add_argument("--toml", action="store_true", help="TOML (the default)")
    add_json(fmt, "one JSON object instead of TOML")
    q.set_defaults(func=_cmd_config, action="show")


def _shown(value: Any) -> Any:
    """The config as plain data for show: no None (TOML has no null; absent = default), URL passwords hidden."""
    from anpr.core.redact import redact

    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_shown(v) for v in value]
    return redact(value) if isinstance(value, str) else value


def _cmd_config(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.action == "check":
        from anpr.app.config_check import config_problems

        source = args.config or "built-in defaults"
        if args.no_files:
            print(f"{source}: settings OK ({len(cfg.cameras)} camera(s)); files not checked (--no-files)")
            return 0
        problems = config_problems(cfg)
        if problems:
            print(f"{source}: {len(problems)} problem(s):", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
            return 2
        print(f"{source}: OK ({len(cfg.cameras)} camera(s); models, keys and files present and readable)")
        return 0
    doc = _shown(cfg.model_dump(mode="json"))
    if args.json:
        print_json(doc, indent=2)
        return 0
    import tomli_w

    print(f"# anpr config show: the effective config of {args.config or 'the built-in defaults'}")
    print("# (`anpr config check -c FILE` accepts it back; passwords inside URLs are shown as ***)")
    sys.stdout.write(tomli_w.dumps(doc))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from anpr.app.daemon import run_daemon

    return run_daemon(load_config(args))


def _cmd_replay(args: argparse.Namespace) -> int:
    from anpr.app.replay import replay

    cfg = load_config(args)
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
