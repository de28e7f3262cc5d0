"""`anpr bench ...` end to end on the real models, the sample clip and a real mosquitto (figures are
printed, never asserted as targets: these tests check that every figure is there and sane)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.plates import shared_plates

from anpr.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
GANTRY = ROOT / "sample_videos" / "gantry_day.mp4"


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(["bench", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_pipeline_json_has_every_key_positive(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the built-in config names the bundled models relative to the checkout
    r = _json(capsys, "pipeline", "--video", str(GANTRY), "--frames", "24", "--baseline-frames", "2")
    for key in ("frames", "wall_s", "fps", "ms_per_frame", "model_ms_per_frame", "peak_rss_mb", "cpu_cores",
                "cpu_busy_cores", "reads"):  # fmt: skip
        assert r[key] > 0, key
    assert r["frames"] >= 24
    for stage in ("detect", "read"):
        s = r["stage_ms"][stage]
        assert 0 < s["p50"] <= s["p95"] and s["n"] > 0, stage
    assert r["threads"]["os_max"] >= 2 and r["threads"]["detector_intra_op"] >= 1
    assert r["fps"] == pytest.approx(r["frames"] / r["wall_s"], rel=0.02)
    if shutil.which("tesseract") is None:
        assert r["baseline"] is None
    else:
        b = r["baseline"]
        assert b["frames"] == 2 and b["fps"] > 0 and b["ms_per_frame"]["p50"] > 0
        assert r["speedup_vs_baseline"] == pytest.approx(r["fps"] / b["fps"], rel=0.02)


def test_pipeline_text_and_missing_video(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["bench", "pipeline", "--video", str(GANTRY), "--frames", "8", "--no-baseline"]) == 0
    out = capsys.readouterr().out
    assert "fps end to end" in out and "detect" in out and "baseline: skipped" in out
    assert main(["bench", "pipeline", "--video", "nope.mp4"]) == 2
    assert "no such video" in capsys.readouterr().err


def test_detector_and_reader(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    (row,) = _json(capsys, "detector", "--runs", "3")
    assert row["detect_ms"]["p50"] > 0 and row["run_ms"]["p50"] > 0 and row["found"] >= 1
    res = _json(capsys, "reader", "--video", str(GANTRY), "--no-tesseract", "--model", "models/plate-reader-int8.onnx",
                "--model", "models/plate-reader.onnx", "--crnn", "models/plate-recognizer.onnx")  # fmt: skip
    got = res["gantry_day.mp4"]
    assert set(got) == {"plate-reader-int8", "plate-reader", "crnn:plate-recognizer"}
    for ours in got.values():
        assert ours["n"] > 0 and ours["ms"]["p50"] > 0 and 0.0 <= ours["exact"] <= 1.0
    assert got["plate-reader-int8"]["n"] == got["plate-reader"]["n"] == got["crnn:plate-recognizer"]["n"]


@pytest.mark.skipif(shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists(),
                    reason="mosquitto not installed (Debian package mosquitto)")  # fmt: skip
def test_drills_count_and_lose_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    res = _json(capsys, "drills", "--runs", "1", "--events", "40")
    for name in ("restart", "kill9"):
        t = res[name]
        assert t["runs"] == 1 and t["promised"] > 0, name
        assert t["lost"] == 0 and t["delivered"] == t["promised"], (name, t)


def test_live_rtsp_latency_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The gantry clip through the real RTSP server: every key there, every plate alerted, latencies real."""
    from anpr.bench.rtsp import rtsp_unusable

    if (why := rtsp_unusable()) is not None:
        pytest.skip(why)
    monkeypatch.chdir(ROOT)
    r = _json(capsys, "live", "--video", str(GANTRY), "--runs", "1")
    assert r["stream"]["served"] == "as recorded" and r["runs"] == 1
    assert r["expected_hits"] == 4 and r["hits"] >= 3, r["per_run"]  # a far plate may go unread on a busy box
    lat = r["latency_ms"]
    assert lat["n"] == r["hits"] and 0 < lat["p50"] <= lat["p95"] <= lat["max"] < 5000
    assert r["in_view_ms"]["p50"] >= lat["p50"]  # counted from first sight, not from the confirming frame
    fr = r["frames"]
    assert fr["grabbed"] >= 150 and fr["processed"] > 0 and fr["processed"] + fr["dropped"] <= fr["grabbed"]
    assert fr["dropped"] == fr["dropped_at_source"] + fr["dropped_in_queue"]
    assert r["processed_fps"] > 0 and r["peak_rss_mb"] > 0


def test_live_rejects_a_bad_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "live", "--video", str(GANTRY), "--size", "big"]) == 2
    assert "expected WIDTHxHEIGHT" in capsys.readouterr().err


def test_soak_loops_the_clip_and_samples_memory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from anpr.bench.rtsp import rtsp_unusable

    if (why := rtsp_unusable()) is not None:
        pytest.skip(why)
    monkeypatch.chdir(ROOT)
    r = _json(capsys, "soak", "--video", str(GANTRY), "--seconds", "14", "--every", "2")
    assert r["clip_loops"] >= 2, r  # the 8 s clip ended and the source reconnected for another play
    assert r["passages"] >= 4 and r["hits"] >= 3, r
    assert 0 < r["frames"]["processed"] <= r["frames"]["grabbed"]
    m = r["rss_mb"]
    assert 0 < m["start"] <= m["max"] and 0 < m["end"] <= m["max"]
    assert len(r["samples"]) >= 7 and r["samples"][-1][0] >= 14


def test_soak_rejects_a_non_positive_duration(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "soak", "--video", str(GANTRY), "--seconds", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err


def test_pipeline_all_one_row_per_clip(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("a.mp4", "b.mp4"):  # the gantry clip twice: two processes, two rows
        (clips / name).symlink_to(GANTRY)
    (clips / "sub").mkdir()
    (clips / "sub" / "c.mp4").symlink_to(GANTRY)  # subfolders too (sample_videos/traffic/), after the top level
    flags = ("--frames", "6", "--no-baseline", "--no-photos")
    rows = _json(capsys, "pipeline", "--all", "--clips", str(clips), *flags, "--workers", "1")
    assert [Path(r["video"]).name for r in rows] == ["a.mp4", "b.mp4", "c.mp4"]
    for r in rows:
        assert r["frames"] >= 6 and r["fps"] > 0 and r["peak_rss_mb"] > 50 and r["workers"] == 1
        assert r["truth"] is None  # no sidecar next to the links (and a cut clip is never scored)
    assert main(["bench", "pipeline", "--all", "--clips", str(clips), *flags]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:3] == ["clip", "frames", "fps"] and "\na " in table and "\nb " in table
    assert main(["bench", "pipeline", "--all", "--clips", str(tmp_path / "none")]) == 2
    assert "no .mp4 clips" in capsys.readouterr().err


def test_pipeline_all_adds_a_clip_of_real_photos(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`--photos SET`: the set's photos become one more clip, with its truth, scored like the others."""
    evals = shared_plates("eval")
    if evals is None or not (evals / "chile_gate" / "labels.csv").is_file():
        pytest.skip("shared/plates/eval/chile_gate not found (set ANPR_PLATES_EVAL)")
    src = evals / "chile_gate"
    monkeypatch.chdir(ROOT)
    photos = tmp_path / "gate"
    (photos / "images").mkdir(parents=True)
    lines = (src / "labels.csv").read_text().splitlines()
    keep = [lines[0], *lines[1:4]]  # three vehicles keep the clip short
    for line in keep[1:]:
        name = line.split(",")[0]
        (photos / name).symlink_to(src / name)
    (photos / "labels.csv").write_text("\n".join(keep) + "\n")
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "a.mp4").symlink_to(GANTRY)
    rows = _json(
        capsys, "pipeline", "--all", "--clips", str(clips), "--frames", "6", "--no-baseline", "--photos", str(photos)
    )
    assert [Path(r["video"]).name for r in rows] == ["a.mp4", "gate_photos.mp4"]
    assert rows[1]["frames"] >= 6
    assert main(["bench", "pipeline", "--all", "--clips", str(clips), "--photos", str(tmp_path / "nothing")]) == 2
    assert "--photos" in capsys.readouterr().err


def test_focus_finds_again_in_windows_what_the_whole_frame_finds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    r = _json(capsys, "focus", str(ROOT / "sample_videos" / "night_ir.mp4"), "--every", "20")
    assert r["detections"] == r["found_again"] + len(r["missed"]) + r["whole_frame_instead"] + r["too_tall"]
    assert r["found_again"] >= 5 and r["found_again"] >= 0.8 * r["detections"]
    assert 0 <= r["corner_px"]["p50"] <= r["corner_px"]["p95"] <= r["corner_px"]["p100"]
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"\x00" * 64)
    assert main(["bench", "focus", str(bad)]) == 2
    assert "not a readable video" in capsys.readouterr().err
