"""The `anpr` command. Each command group registers its sub-commands from its module in `anpr.cli`.

Logging is configured here and only here; library modules just use `logging.getLogger(__name__)`.
The options every command shares are added here too, after registration (`common.apply_shared`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from anpr import __version__
from anpr.cli.common import CommandError, add_log_level, apply_shared

log = logging.getLogger(__name__)

# Modules exposing `register(subparsers)`. Imported at start, so they must stay light: heavy imports
# (onnxruntime, cv2, paho) go inside the command handlers.
COMMAND_MODULES = (
    "anpr.cli.run",
    "anpr.cli.plates",
    "anpr.cli.evaluate",
    "anpr.cli.hotlist",
    "anpr.cli.gps",
    "anpr.cli.queue",
    "anpr.cli.synth",
    "anpr.cli.train",
    "anpr.cli.status",
    "anpr.cli.bench",
    "anpr.cli.control",
    "anpr.cli.completion",
)

# Leaves whose module prints structured output but does not declare --json itself.
JSON_COMMANDS = frozenset({("control", "publish-hotlist")})


def _stderr_is_journal() -> bool:
    """True when systemd connected our stderr to journald (JOURNAL_STREAM names that very stream)."""
    value = os.environ.get("JOURNAL_STREAM", "")
    try:
        dev, ino = (int(x) for x in value.split(":"))
        st = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


class _JournalFormatter(logging.Formatter):
    """sd-daemon(3) lines: `<priority>LEVEL logger: message` on every line (tracebacks too), no timestamp.

    journald stamps and stores the priority itself, so `journalctl -p warning -u anpr` works.
    """

    def format(self, record: logging.LogRecord) -> str:
        n = record.levelno  # debug 7, info 6, warning 4, error 3, critical 2
        prio = 7 if n < logging.INFO else 6 if n < logging.WARNING else 4 if n < logging.ERROR else 3 if n < 50 else 2
        return "\n".join(f"<{prio}>{line}" for line in super().format(record).splitlines())


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if _stderr_is_journal():
        handler.setFormatter(_JournalFormatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), handlers=[handler])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anpr",
        description="Edge number-plate reader for Chilean roads.",
        epilog="Common options, the same in every command and accepted before or after its action: "
        "-c/--config FILE where it reads a config, --json where it prints data, -o/--output PATH where it "
        "writes a file, --log-level LEVEL. `anpr COMMAND -h` for the rest; `anpr completion bash` for tab "
        "completion.",
    )
    parser.add_argument("--version", action="version", version=f"anpr {__version__}")
    add_log_level(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a real missing dependency, not an absent feature module
                raise
            continue
        module.register(sub)
    apply_shared(parser, JSON_COMMANDS)
    return parser


def _stdout_gone() -> int:
    """The reader of our stdout left (`anpr ... | head`): exit quietly, as a program killed by SIGPIPE.

    The Python docs' recipe: point stdout at /dev/null so the flush at exit does not raise again.
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):  # not a real file: a test's capture
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what the shell reports for a program killed by a closed pipe


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _setup_logging(args.log_level or getattr(args, "default_log_level", "INFO"))
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()
    except BrokenPipeError:
        return _stdout_gone()
    except CommandError as err:
        print(f"anpr: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
