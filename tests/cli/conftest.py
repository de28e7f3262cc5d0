"""Shared bits of the CLI tests: a device config with a local hotlist in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

HOTLIST_CSV = (
    "plate,list_name,reason,priority,source,note,covert\n"
    "PRKX21,robados,robo,3,carabineros,,0\n"
    "HZTV41,robados,encargo,5,fiscalia,,0\n"
)


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A config whose state and unsigned local hotlist live in tmp_path (nothing written in the repo)."""
    (tmp_path / "local.csv").write_text(HOTLIST_CSV)
    conf = tmp_path / "device.toml"
    conf.write_text(f'state_dir = "{tmp_path / "state"}"\n[hotlist]\ncsv = "{tmp_path / "local.csv"}"\n')
    return conf
