"""The `anpr` command. Each feature registers its own sub-commands from its `commands.py` module.

Logging is configured here and only here; library modules just use `logging.getLogger(__name__)`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from anpr import __version__

log = logging.getLogger(__name__)

# Modules exposing `register(subparsers)`. Imported at start, so they must stay light: heavy imports
# (onnxruntime, cv2, paho) go inside the command handlers.
COMMAND_MODULES = (
    "anpr.commands",
    "anpr.plates.commands",
    "anpr.evaluate.commands",
    "anpr.hotlist.commands",
    "anpr.gps.commands",
    "anpr.uplink.commands",
    "anpr.synth.commands",
    "anpr.train.commands",
)


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anpr", description="Edge number-plate reader for Chilean roads.")
    parser.add_argument("--version", action="version", version=f"anpr {__version__}")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR (default: the config's)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a real missing dependency, not an absent feature module
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _setup_logging(args.log_level or getattr(args, "default_log_level", "INFO"))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
