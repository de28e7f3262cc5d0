"""`anpr bench reads`: the pipeline's reads by plate width against a clip's truth boxes, on the real models and
the night sample clip; and the tally's pieces on hand-made boxes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.track import make_read

from anpr.app.truth import TruthError, truth_boxes
from anpr.bench.reads import bucket, kind_of
from anpr.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
NIGHT = ROOT / "sample_videos" / "night_ir.mp4"


def test_buckets_and_kinds() -> None:
    assert [bucket(w) for w in (12, 29.9, 30, 45, 99, 100, 400)] == [
        "<30", "<30", "30-40", "40-60", "60-100", ">=100", ">=100"
    ]  # fmt: skip
    truth = [("BBCL12", (100.0, 100.0, 160.0, 120.0))]
    assert kind_of(make_read("BBCL12"), (102.0, 101.0, 158.0, 121.0), truth) == "right"
    assert kind_of(make_read("BBCL13"), (102.0, 101.0, 158.0, 121.0), truth) == "wrong"
    assert kind_of(None, (102.0, 101.0, 158.0, 121.0), truth) == "nothing"
    assert kind_of(make_read("BBCL12"), (300.0, 100.0, 360.0, 120.0), truth) == "junk"  # no truth box there
    assert kind_of(make_read("BBCL12"), (300.0, 100.0, 360.0, 120.0), []) == "junk"


def test_a_sidecar_without_boxes_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "clip.truth.json"
    bad.write_text(json.dumps({"plates": [{"text": "BBCL12"}]}), encoding="utf-8")
    with pytest.raises(TruthError, match="not a usable truth sidecar"):
        truth_boxes(bad)


def test_every_read_is_tallied_and_none_under_the_min_width(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    every = tmp_path / "every.toml"
    every.write_text("[tracker]\nmin_read_width_px = 0\n", encoding="utf-8")
    assert main(["bench", "reads", str(NIGHT), "-c", str(every), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    table = res["all"]
    assert "<30" in table  # the far approach, read when nothing is skipped
    tallied = sum(sum(row.values()) for row in table.values())
    # The same replay's own count of reads: none lost or added by the tally.
    out = subprocess.run(
        [sys.executable, "-m", "anpr", "replay", str(NIGHT), "-c", str(every), "--json"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert tallied == summary["stage_ms"]["read"]["n"]
    # The shipped default (30 px): no plate narrower than that is read any more.
    assert main(["bench", "reads", str(NIGHT), "--json"]) == 0
    assert "<30" not in json.loads(capsys.readouterr().out)["all"]
    assert main(["bench", "reads", str(tmp_path / "none.mp4")]) == 2
    assert "needs the clip" in capsys.readouterr().err
