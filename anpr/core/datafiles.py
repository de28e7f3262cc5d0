"""Where the files the program ships with are found, and where it keeps its state when no config says.

A relative model path (the defaults: `models/plate-detector.onnx` ...) that does not exist from the working
folder is looked for in the installed package (the wheel holds `anpr/models/`; in a checkout `anpr/models`
is a symlink to `models/`) and beside the venv of an install by scripts/install.sh (`/opt/anpr/venv` beside
`/opt/anpr/models`). So `anpr replay` and `PlateReader()` work from any folder after a plain `pip install`.
Every model path of the config goes through `find_data_file` (the `DataPath` type), and nothing else
guesses.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parents[1]


def search_roots() -> tuple[Path, ...]:
    """The folders a relative data path is tried under after the working folder, in order."""
    return (_PACKAGE, Path(sys.prefix).parent)


def find_data_file(path: str) -> str:
    """`path` as given when it is absolute or exists from the working folder, else the first match under
    `search_roots()`, else `path` unchanged (the loader's error then names it and says how to restore it)."""
    p = Path(path)
    if not path or p.is_absolute() or p.exists():
        return path
    for root in search_roots():
        if (root / p).exists():
            log.debug("data file %s found under %s", path, root)
            return str(root / p)
    return path


DataPath = Annotated[str, AfterValidator(find_data_file)]
"""A config field naming a file the program ships (a model): resolved by `find_data_file` at validation.
Give the field `validate_default=True` so the default is resolved too."""


def default_state_dir() -> str:
    """The state folder when the config names none: `$XDG_STATE_HOME/anpr`, else `~/.local/state/anpr` (the
    XDG base-directory rule), so a developer's `anpr replay` or `anpr queue status` never litters the working
    folder. The units' configs set `state_dir = "/var/lib/anpr"`; `state_dir = "state"` keeps it local."""
    xdg = os.environ.get("XDG_STATE_HOME", "")
    if xdg and Path(xdg).is_absolute():  # the spec says a relative value is to be ignored
        return str(Path(xdg) / "anpr")
    try:
        return str(Path.home() / ".local" / "state" / "anpr")
    except RuntimeError:  # no HOME and no passwd entry (a bare container): the working folder, as before
        return "state"
