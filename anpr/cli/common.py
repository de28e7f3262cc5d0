"""What every `anpr` command shares: the common options, config loading, JSON output, output files.

The shared options (`-c/--config`, `--json`, `--log-level`, `-o/--output`) are spelled the same in every
command and accepted after the action too (`anpr queue status -c X`): `apply_shared` walks every leaf
parser once the command modules have registered, so modules that never call these helpers get them too.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anpr.app.config import AppConfig


# shtab's completion hint for "a file name" (shtab.FILE), kept here so building the parser never imports it.
_FILE_HINT = {"bash": "_shtab_compgen_files", "zsh": "_files", "tcsh": "f"}
# Old spellings still accepted but left out of --help (scripts and notes written before they were renamed).
_HIDDEN_ALIASES = frozenset({"--out"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_LOG_LEVEL_HELP = "DEBUG, INFO, WARNING or ERROR (default: the config's log_level)"


def add_log_level(parser: argparse.ArgumentParser, default: Any = None) -> None:
    parser.add_argument(
        "--log-level", type=str.upper, choices=LOG_LEVELS, metavar="LEVEL", default=default, help=_LOG_LEVEL_HELP
    )


class CommandError(Exception):
    """A user-facing failure: `main` prints `anpr: <message>` on stderr and exits with `code`, no traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# -- options ------------------------------------------------------------------------------------------


def add_config(
    parser: argparse.ArgumentParser, help_: str = "TOML config file (default: built-in demo config)"
) -> None:
    action = parser.add_argument("-c", "--config", default=None, help=help_)
    action.complete = _FILE_HINT  # type: ignore[attr-defined]


def add_json(parser: argparse._ActionsContainer, help_: str = "print one JSON object on stdout") -> None:
    parser.add_argument("--json", action="store_true", help=help_)


def add_output(
    parser: argparse.ArgumentParser, help_: str, *, required: bool = False, default: str | None = None
) -> None:
    """`-o/--output FILE` (dest `output`); `--out`, its old spelling, still works but is not listed."""
    action = parser.add_argument(
        "-o", "--output", "--out", dest="output", metavar="PATH", required=required, default=default, help=help_
    )
    action.complete = _FILE_HINT  # type: ignore[attr-defined]
    _hide_aliases(parser)


class _HideAliases(argparse.HelpFormatter):
    def _format_action_invocation(self, action: argparse.Action) -> str:
        saved = action.option_strings
        action.option_strings = [s for s in saved if s not in _HIDDEN_ALIASES]
        try:
            return super()._format_action_invocation(action)
        finally:
            action.option_strings = saved


def _hide_aliases(parser: argparse.ArgumentParser) -> None:
    base = parser.formatter_class
    if isinstance(base, type) and not issubclass(base, _HideAliases):
        parser.formatter_class = type(f"Hiding{base.__name__}", (_HideAliases, base), {})  # type: ignore[assignment]


# -- the central pass ---------------------------------------------------------------------------------


def _children(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    seen: set[int] = set()
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                if id(child) not in seen:  # aliases map several names to one parser
                    seen.add(id(child))
                    out.append((name, child))
    return out


def leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = (), groups: tuple[argparse.ArgumentParser, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, tuple[argparse.ArgumentParser, ...]]]:
    """Every command that runs something: (its words, its parser, the group parsers above it)."""
    children = _children(parser)
    if not children:
        yield path, parser, groups
    for name, child in children:
        yield from leaves(child, (*path, name), (*groups, parser))


def apply_shared(parser: argparse.ArgumentParser, json_commands: frozenset[tuple[str, ...]] = frozenset()) -> None:
    """Give every leaf command the shared options, in the leaf's own position too.

    The leaf's copies default to SUPPRESS so that a value given before the action (`anpr --log-level
    DEBUG status`, `anpr queue -c X status`) is not overwritten by the leaf's default when parsed.
    `json_commands` names leaves that print structured output but did not declare `--json` themselves.
    """
    for path, leaf, groups in leaves(parser):
        for p in (*groups[1:], leaf):  # the root has the real default (None: the config's level)
            if "--log-level" not in p._option_string_actions:
                add_log_level(p, argparse.SUPPRESS)
        opts = leaf._option_string_actions
        config_above = (g._option_string_actions.get("--config") for g in reversed(groups))
        above = next((a for a in config_above if a is not None), None)
        if above is not None and "--config" not in opts:
            flags = [s for s in above.option_strings if s not in opts]
            leaf.add_argument(*flags, dest="config", default=argparse.SUPPRESS, help=above.help)
        if "--config" in opts and not hasattr(opts["--config"], "complete"):
            opts["--config"].complete = _FILE_HINT  # type: ignore[attr-defined]
        if path in json_commands and "--json" not in opts:
            add_json(leaf)
        _rename_out(leaf)


def _rename_out(leaf: argparse.ArgumentParser) -> None:
    """`--out` becomes `-o/--output` (same dest, so the handler is unchanged); `--out` stays as hidden alias."""
    opts = leaf._option_string_actions
    action = opts.get("--out")
    if action is None or "--output" in opts:
        return
    new = [s for s in ("-o", "--output") if s not in opts]
    for s in new:
        opts[s] = action
    action.option_strings = [*new, *action.option_strings]
    if getattr(action, "complete", None) is None:
        action.complete = _FILE_HINT  # type: ignore[attr-defined]
    _hide_aliases(leaf)


# -- config -------------------------------------------------------------------------------------------


def load_config(args: argparse.Namespace) -> AppConfig:
    """The app config named by `-c` (the built-in defaults without), or a CommandError (exit 2) that names
    the file, the key and what is wrong. The config's `log_level` applies unless `--log-level` was given."""
    from anpr.app.config import ConfigError, load

    try:
        cfg = load(args.config)
    except ConfigError as err:
        raise CommandError(str(err)) from None
    if getattr(args, "log_level", None) is None:
        logging.getLogger().setLevel(cfg.log_level)
    return cfg


# -- output -------------------------------------------------------------------------------------------


def jsonable(obj: Any) -> Any:
    """`json.dumps` default: times as ISO-8601, dataclasses as objects, sets as sorted lists, the rest as text."""
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return sorted(obj, key=str) if isinstance(obj, (set, frozenset)) else list(obj)
    return str(obj)  # enums, UUIDs, decimals: their text, rather than a traceback in the middle of the output


def print_json(obj: Any, stream: IO[str] | None = None, *, indent: int | None = None) -> None:
    """One JSON document on one line (or indented), stable key order, UTF-8 plates as they are."""
    out = stream or sys.stdout
    out.write(json.dumps(obj, sort_keys=True, default=jsonable, ensure_ascii=False, indent=indent) + "\n")
    out.flush()


def emit(args: argparse.Namespace, result: Any, text: str) -> int:
    """A bench's figures: one JSON object (sorted keys) with `--json`, else `text`; exit status 0."""
    print(json.dumps(result, sort_keys=True) if args.json else text)
    return 0


def print_published(args: argparse.Namespace, pub: Any) -> int:
    """`anpr control publish-hotlist` output: one JSON object with --json, else one line."""
    if getattr(args, "json", False):
        print_json({"published": True, **dataclasses.asdict(pub), "retained": True})
    else:
        print(f"published {pub.list_name} v{pub.version} ({pub.entries} entries) to {pub.topic} (retained)")
    return 0
