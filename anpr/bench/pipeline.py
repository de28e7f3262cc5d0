"""`anpr bench pipeline`: the real pipeline on a sample video, per-stage times, fps, memory, threads,
and the OpenCV + tesseract floor timed on frames of the same video in the same run."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from anpr.app.config import AppConfig
from anpr.app.stages import Stages
from anpr.bench import stats
from anpr.detect.base import Detector
from anpr.ocr.base import Reader
from anpr.types import Box, Detection, Frame, Image, PlateEvent, PlateRead

DEFAULT_VIDEO = Path("sample_videos/gantry_day.mp4")


class _TimedDetector:
    """Sums the model's own time, so the pipeline's overhead over it can be stated."""

    def __init__(self, inner: Detector) -> None:
        self._inner = inner
        self.version = inner.version
        self.ms = 0.0

    def detect(self, image: Image) -> list[Detection]:
        t0 = time.perf_counter()
        try:
            return self._inner.detect(image)
        finally:
            self.ms += (time.perf_counter() - t0) * 1000.0

    def detect_regions(self, image: Image, regions: Sequence[Box]) -> list[Detection] | None:
        t0 = time.perf_counter()
        try:
            return self._inner.detect_regions(image, regions)
        finally:
            self.ms += (time.perf_counter() - t0) * 1000.0


class _TimedReader:
    def __init__(self, inner: Reader) -> None:
        self._inner = inner
        self.version = inner.version
        self.ms = 0.0

    def read(self, image: Image, detection: Detection) -> PlateRead | None:
        t0 = time.perf_counter()
        try:
            return self._inner.read(image, detection)
        finally:
            self.ms += (time.perf_counter() - t0) * 1000.0


def bench_pipeline(
    cfg: AppConfig, video: Path, *, max_frames: int = 0, baseline_frames: int = 12, with_baseline: bool = True
) -> dict[str, Any]:
    """Replay `video` (the first `max_frames` frames; 0: all) and return the figures (stable keys)."""
    from anpr.app.build import build_pipeline
    from anpr.app.replay import _frame_count, _video_camera
    from anpr.app.truth import load_truth, score
    from anpr.bench.baseline import run_baseline, tesseract_available
    from anpr.core.onnx_model import auto_threads

    cfg = _video_camera(cfg, video)
    events: list[PlateEvent] = []
    timed_det: dict[str, _TimedDetector] = {}
    timed_reader: list[_TimedReader] = []

    def timed(stages: Stages) -> Stages:
        timed_det.update({cid: _TimedDetector(d) for cid, d in stages.detectors.items()})
        timed_reader.append(_TimedReader(stages.reader))
        return replace(stages, detectors=dict(timed_det), reader=timed_reader[0])

    pipeline = build_pipeline(cfg, on_event=events.append, decorate=timed)
    stop = threading.Event()
    kept: list[int] = []  # frame numbers; decoded again after the run (holding 1080p frames inflates peak RSS)
    total = _frame_count(video) or 200
    if max_frames:
        total = min(total, max_frames)
    every = max(1, total // max(1, baseline_frames))  # baseline frames spread over the whole clip
    threads_max = 0
    processed = 0

    def on_frame(frame: Frame) -> None:
        nonlocal threads_max, processed
        processed += 1
        threads_max = max(threads_max, stats.os_threads())
        if frame.seq % every == 0 and len(kept) < baseline_frames:
            kept.append(frame.seq)
        if max_frames and processed >= max_frames:
            stop.set()

    cpu0, t0 = stats.cpu_seconds(), time.perf_counter()
    pipeline.run(stop, on_frame=on_frame)
    wall = time.perf_counter() - t0
    cpu = stats.cpu_seconds() - cpu0
    snap = pipeline.health.snapshot()
    cam = snap.camera()
    frames = cam.processed
    model_ms = sum(d.ms for d in timed_det.values()) + timed_reader[0].ms
    fps = frames / wall if wall > 0 else 0.0
    out: dict[str, Any] = {
        "video": str(video),
        "frames": frames,
        "wall_s": round(wall, 3),
        "fps": round(fps, 2),
        "ms_per_frame": round(wall * 1000.0 / frames, 2) if frames else 0.0,
        "model_ms_per_frame": round(model_ms / frames, 2) if frames else 0.0,
        "overhead_pct": round((wall * 1000.0 - model_ms) / model_ms * 100.0, 1) if model_ms else 0.0,
        "stage_ms": {k: {"p50": v.p50, "p95": v.p95, "n": v.n} for k, v in snap.stage_ms.items()},
        "reads": cam.reads,
        "events": len([e for e in events if e.final]),
        "hits": len([e for e in events if e.final and e.kind == "hit"]),
        "peak_rss_mb": stats.peak_rss_mb(),
        "threads": {
            "os_max": threads_max,
            "detector_intra_op": cfg.detector.threads or auto_threads(),
            "reader_intra_op": cfg.reader.threads or auto_threads(),
        },
        "workers": cfg.inference_workers,
        "detect_ahead": None if pipeline.detect_ahead is None else asdict(pipeline.detect_ahead),
        "cpu_cores": stats.cores(),
        "cpu_busy_cores": round(cpu / wall, 2) if wall > 0 else 0.0,
        "plates": sorted({e.plate for e in events if e.final}),
        "truth": None,
        "baseline": None,
        "speedup_vs_baseline": None,
    }
    sidecar = video.with_suffix(".truth.json")
    if sidecar.is_file() and not max_frames:  # a cut clip would score its unseen plates as missed
        finals = [e for e in events if e.final]
        out["truth"] = score(load_truth(sidecar), finals, cfg.cameras[0].start_time)
    if with_baseline and tesseract_available() and kept:
        base = run_baseline(_decode(video, kept))
        b = stats.percentiles(base.ms)
        base_fps = 1000.0 / (sum(base.ms) / len(base.ms)) if base.ms else 0.0
        out["baseline"] = {
            "method": "opencv morphology + tesseract psm 7",
            "frames": base.frames,
            "candidates": base.candidates,
            "ms_per_frame": b,
            "fps": round(base_fps, 2),
            "plates": sorted(base.reads),
        }
        out["speedup_vs_baseline"] = round(fps / base_fps, 2) if base_fps else None
    return out


def _decode(video: Path, seqs: list[int]) -> list[Image]:
    """Frames `seqs` of `video` (0-based, in order), read straight through as the file source reads them."""
    import cv2
    import numpy as np

    want, out = set(seqs), list[Image]()
    cap = cv2.VideoCapture(str(video))
    try:
        n = 0
        while len(out) < len(want):
            ok, image = cap.read()
            if not ok:
                break
            if n in want:
                out.append(np.asarray(image, np.uint8))
            n += 1
    finally:
        cap.release()
    return out


_OVERLAP = "; negative: the two models ran at once"


def format_text(r: dict[str, Any]) -> str:
    lines = [
        f"{r['video']}: {r['frames']} frames in {r['wall_s']:.2f} s = {r['fps']:.1f} fps end to end "
        f"({r['ms_per_frame']:.1f} ms/frame; models {r['model_ms_per_frame']:.1f} ms/frame, "
        f"pipeline overhead {r['overhead_pct']:.0f} %{_OVERLAP if r['overhead_pct'] < 0 else ''})",
    ]
    for stage, v in sorted(r["stage_ms"].items()):
        lines.append(f"  {stage:8} median {v['p50']:7.2f} ms  p95 {v['p95']:7.2f} ms  (n={v['n']})")
    t = r["threads"]
    lines.append(
        f"  peak RSS {r['peak_rss_mb']:.0f} MB; threads {t['os_max']} (detector {t['detector_intra_op']}, "
        f"reader {t['reader_intra_op']} intra-op; {r['workers']} inference workers); "
        f"{r['cpu_busy_cores']:.2f} of {r['cpu_cores']} cores busy"
    )
    a = r["detect_ahead"]
    if a is not None:
        lines.append(
            f"  detect-ahead guessed wrong on {a['dropped'] + a['late']} of {a['frames']} frames "
            f"({a['dropped']} detected in vain, {a['late']} detected late)"
        )
    lines.append(f"  events {r['events']} (hits {r['hits']}), plates {' '.join(r['plates']) or '-'}")
    if r["truth"] is not None:
        lines.append(f"  truth: {truth_text(r['truth'])}")
    b = r["baseline"]
    if b is None:
        lines.append("  baseline: skipped (no tesseract, or --no-baseline)")
    else:
        lines.append(
            f"  baseline ({b['method']}) on {b['frames']} frames: median {b['ms_per_frame']['p50']:.0f} ms/frame "
            f"= {b['fps']:.2f} fps; read {' '.join(b['plates']) or 'nothing'}"
        )
        lines.append(f"  speed-up over the baseline: {r['speedup_vs_baseline']}x")
    return "\n".join(lines)


def truth_text(t: dict[str, Any]) -> str:
    """One line of a clip's truth score (anpr/app/truth.py)."""
    extra = [f"{k} {' '.join(t[k])}" for k in ("missed", "misread", "phantoms", "false_hits") if t[k]]
    return f"{t['read_exact']}/{t['plates']} read exactly, hits {t['hits_ok']}/{t['hits_expected']}" + (
        "; " + "; ".join(extra) if extra else ""
    )
