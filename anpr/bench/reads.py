"""`anpr bench reads [CLIPS]`: how often the reader is right, by plate width, inside the real pipeline.

Each clip with a truth sidecar (boxes per frame) is replayed through the car's pipeline (one worker); every
read the pipeline asks for is set against the truth box it overlaps on that frame: right (that plate's text),
wrong (another plate), nothing (no valid plate), or junk (no truth box there). Reads the tracker skips (a
settled passage, a plate under `tracker.min_read_width_px`) are not made, so not counted: run with
`[tracker] min_read_width_px = 0` to see every width. What that setting rests on (docs/performance.md)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from anpr.app.config import AppConfig
from anpr.app.stages import Stages
from anpr.track.boxes import Box, iou
from anpr.types import Detection, Frame, PlateRead

EDGES = (30, 40, 60, 100)
"""Width buckets (frame px): <30, 30-40, 40-60, 60-100, >=100."""
KINDS = ("right", "wrong", "nothing", "junk")


class BenchReadsError(Exception):
    """A clip or its truth sidecar cannot be used; the message says which and why."""


def bucket(width: float) -> str:
    lo = 0
    for edge in EDGES:
        if width < edge:
            return f"<{edge}" if lo == 0 else f"{lo}-{edge}"
        lo = edge
    return f">={lo}"


BUCKETS = tuple(bucket(w) for w in (0, *EDGES))
"""The width buckets' labels, narrowest first."""


def kind_of(read: PlateRead | None, box: Box, truth: list[tuple[str, Box]]) -> str:
    owner = max(truth, key=lambda t: iou(box, t[1]), default=None)
    if owner is None or iou(box, owner[1]) <= 0:
        return "junk"
    if read is None:
        return "nothing"
    return "right" if read.text == owner[0] else "wrong"


def bench_reads(cfg: AppConfig, clips: list[Path]) -> dict[str, Any]:
    """Reads per width bucket and kind, per clip and over all clips (stable keys)."""
    per_clip: dict[str, dict[str, dict[str, int]]] = {}
    total: Counter[tuple[str, str]] = Counter()
    for clip in clips:
        counts = _clip_counts(cfg, clip)
        per_clip[clip.name] = _table(counts)
        total.update(counts)
    return {"clips": per_clip, "all": _table(total), "buckets": list(BUCKETS)}


def _clip_counts(cfg: AppConfig, clip: Path) -> Counter[tuple[str, str]]:
    """(width bucket, kind) → reads, over one replay of `clip` (one worker, so a frame's reads come before
    its `on_frame`)."""
    from anpr.app.annotate import RecordingReader
    from anpr.app.build import StartupError, build_pipeline
    from anpr.app.replay import _video_camera
    from anpr.app.truth import TruthError, truth_boxes

    sidecar = clip.with_suffix(".truth.json")
    if not clip.is_file() or not sidecar.is_file():
        raise BenchReadsError(f"{clip}: needs the clip and its {sidecar.name}")
    try:
        boxes = truth_boxes(sidecar)
    except TruthError as err:
        raise BenchReadsError(str(err)) from None
    pending: list[tuple[Detection, PlateRead | None]] = []
    counts: Counter[tuple[str, str]] = Counter()

    def recording(stages: Stages) -> Stages:
        return replace(stages, reader=RecordingReader(stages.reader, pending))

    def on_frame(frame: Frame) -> None:
        for det, read in pending:  # the reads this frame's processing asked for
            counts[(bucket(det.width), kind_of(read, det.box, boxes.get(frame.seq, [])))] += 1
        pending.clear()

    one = _video_camera(cfg, clip).model_copy(update={"inference_workers": 1})
    try:
        pipeline = build_pipeline(one, on_event=lambda _ev: None, decorate=recording)
    except StartupError as err:
        raise BenchReadsError(f"cannot start the pipeline: {err}") from None
    pipeline.run(threading.Event(), on_frame=on_frame)
    return counts


def _table(counts: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    return {b: {k: counts[(b, k)] for k in KINDS} for b in BUCKETS if any(counts[(b, k)] for k in KINDS)}


def format_text(res: dict[str, Any]) -> str:
    lines = []
    for name, table in [*res["clips"].items(), ("all clips", res["all"])]:
        lines.append(f"{name}")
        lines.append("  width px   reads  right  wrong  nothing  junk")
        for b, row in table.items():
            n = sum(row.values())
            lines.append(
                f"  {b:>8}  {n:>6}  {row['right']:>5}  {row['wrong']:>5}  {row['nothing']:>7}  {row['junk']:>4}"
            )
    return "\n".join(lines)
