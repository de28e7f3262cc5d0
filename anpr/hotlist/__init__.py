"""The stolen-vehicle hotlist: signed documents, the local store, matching, re-check and sync sources.

`build_hotlist(cfg.hotlist, state_dir)` opens the store (a `Matcher`); importing this package stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from anpr.hotlist.base import DocumentRefused, HotlistStatus, Matcher, RecheckHit

if TYPE_CHECKING:
    from anpr.hotlist.config import HotlistConfig
    from anpr.hotlist.store import HotlistStore

__all__ = ["DocumentRefused", "HotlistStatus", "Matcher", "RecheckHit", "build_hotlist"]


def build_hotlist(cfg: HotlistConfig, state_dir: str | Path) -> HotlistStore:
    """Open (creating if needed) the store; loads the demo CSV when `cfg.csv` is set. Raises ValueError for
    bad keys, sqlite3.Error for an unusable file."""
    from anpr.hotlist import store

    return store.build_hotlist(cfg, state_dir)
