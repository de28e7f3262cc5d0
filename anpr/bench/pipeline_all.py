"""`anpr bench pipeline --all`: `anpr bench pipeline` on every sample clip, one table (with `--photos`, a
clip built from a fixed camera's real photos too: `anpr synth real-clip`).

Each clip runs in its own process, so its peak RSS is its own (a second clip in the same process would
report the first one's peak, and the models loaded twice).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from anpr.bench.broker import BenchError
from anpr.bench.pipeline import truth_text


def sample_clips(folder: Path) -> list[Path]:
    """Every .mp4 under `folder`, its own first, then its subfolders' (sample_videos/traffic/)."""
    clips = sorted(folder.rglob("*.mp4"), key=lambda p: (len(p.relative_to(folder).parts), str(p)))
    if not clips:
        raise BenchError(f"{folder}: no .mp4 clips to bench")
    return clips


def bench_all(clips: list[Path], argv: list[str], timeout_s: float = 1800.0) -> list[dict[str, Any]]:
    """`anpr bench pipeline --video CLIP --json ARGV...` per clip, in a fresh process; their results."""
    rows = []
    for clip in clips:
        cmd = [sys.executable, "-m", "anpr", "bench", "pipeline", "--video", str(clip), "--json", *argv]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{clip}: the bench ran longer than {timeout_s:.0f} s") from None
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-3:]
            raise BenchError(f"{clip}: the bench failed (exit {done.returncode}): {' | '.join(tail)}")
        rows.append(json.loads(done.stdout))
    return rows


_HEAD = ("clip", "frames", "fps", "model ms/f", "overhead", "busy cores", "peak RSS", "truth", "x floor", "wrong guess")


def format_table(rows: list[dict[str, Any]]) -> str:
    body = []
    for r in rows:
        t = r["truth"]
        truth = "-" if t is None else f"{t['read_exact']}/{t['plates']} exact, hits {t['hits_ok']}/{t['hits_expected']}"
        floor = "-" if r["speedup_vs_baseline"] is None else f"{r['speedup_vs_baseline']:.0f}x"
        a = r["detect_ahead"]
        wrong = "-" if a is None else f"{a['dropped']} vain, {a['late']} late"
        body.append((
            Path(r["video"]).stem, str(r["frames"]), f"{r['fps']:.1f}", f"{r['model_ms_per_frame']:.1f}",
            f"{r['overhead_pct']:.0f} %", f"{r['cpu_busy_cores']:.2f}/{r['cpu_cores']}", f"{r['peak_rss_mb']:.0f} MB",
            truth, floor, wrong,
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in [_HEAD, *body]) for i in range(len(_HEAD))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [_HEAD, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    w = rows[0]["threads"] if rows else None
    if w is not None:
        lines.append(
            f"{rows[0]['workers']} inference workers; detector {w['detector_intra_op']}, reader "
            f"{w['reader_intra_op']} intra-op threads; x floor: end-to-end fps over the OpenCV+tesseract floor's"
        )
    for r in rows:
        if r["truth"] is not None and any(r["truth"][k] for k in ("missed", "misread", "phantoms", "false_hits")):
            lines.append(f"{Path(r['video']).stem}: {truth_text(r['truth'])}")
    return "\n".join(lines)
