"""What every config file shares: sections that refuse unknown keys, TOML reading, readable errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - JetPack 6 ships Python 3.10
    import tomli as tomllib


class Section(BaseModel):
    """A config section: a typo'd key fails at start instead of being silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigError(Exception):
    """A config file that cannot be used; the message names the key, the value and what is allowed."""


M = TypeVar("M", bound=BaseModel)


def format_error(err: ValidationError, source: str) -> str:
    lines = [f"{source}: {err.error_count()} problem(s) in the config:"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (value {e['input']!r}); check its spelling against `anpr config show`")
        else:
            lines.append(f"  {key} = {e.get('input')!r}: {e['msg']}")
    return "\n".join(lines)


def validate(model: type[M], data: dict[str, Any], source: str) -> M:
    """`model` built from `data`, or a `ConfigError` naming each bad key, its value and the rule."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_error(err, source)) from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """The parsed TOML file, or a `ConfigError` that says why it cannot be read."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{p}: cannot read config file: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{p}: not valid TOML: {err}") from None
