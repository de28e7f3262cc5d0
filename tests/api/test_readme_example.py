"""The README's Python API example runs as written and prints the plates the clip's truth has in that frame."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_readme_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"## Python API\n.*?```python\n(.*?)```", readme, flags=re.DOTALL)
    assert found, "README.md has no python example under '## Python API'"
    code = found.group(1)
    seek = re.search(r"CAP_PROP_POS_FRAMES, (\d+)", code)
    assert seek, "the example no longer seeks to a frame: update this test"
    frame = int(seek.group(1))
    monkeypatch.chdir(REPO)  # the example's paths are relative to the repository, as it says
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    truth = json.loads((REPO / "sample_videos" / "gantry_day.truth.json").read_text(encoding="utf-8"))
    in_view = {p["text"] for p in truth["plates"] if any(b["frame"] == frame for b in p["boxes"])}
    printed = {line.split()[0] for line in out.getvalue().splitlines()}
    assert in_view and printed == in_view, out.getvalue()
