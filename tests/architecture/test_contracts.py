"""The layering rules of docs/architecture.md, as import-linter contracts in pyproject.toml ([tool.importlinter])."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(*args: str) -> tuple[int, str, list[str]]:
    """Exit status, output and the names of the broken contracts of one `lint-imports` run."""
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}  # one contract per line, no colour codes
    out = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    text = out.stdout + out.stderr
    return out.returncode, text, re.findall(r"^(.+?) BROKEN$", text, flags=re.MULTILINE)


def test_every_import_contract_is_kept() -> None:
    rc, text, broken = _lint()
    assert not broken, "broken import contracts: " + "; ".join(broken) + "\n" + text[-4000:]
    assert rc == 0 and "0 broken" in text, text[-4000:]


def test_a_broken_contract_is_reported_by_name(tmp_path: Path) -> None:
    """The check sees the real graph: a rule the code does not follow is reported, by its name."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["anpr"]\n\n[[tool.importlinter.contracts]]\n'
        'name = "the app imports no types (false on purpose)"\ntype = "forbidden"\n'
        'source_modules = ["anpr.app"]\nforbidden_modules = ["anpr.types"]\n',
        encoding="utf-8",
    )
    rc, text, broken = _lint("--config", str(config))
    assert rc != 0 and broken == ["the app imports no types (false on purpose)"], text[-2000:]
