"""`anpr bench detector`: ms per 1080p frame of each detector model (whole `detect()` and bare inference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from anpr.bench import stats

TEST_SCENE = Path("tests/data/detector_plate.jpg")


def bench_detector(models: list[Path], *, threads: int, runs: int, scene: Path = TEST_SCENE) -> list[dict[str, Any]]:
    """Times `detect()` (letterbox + inference + decode/NMS) and `session.run` alone, on the committed
    test scene scaled to 1920x1080. Each model needs its `.sha256` sidecar (as shipped)."""
    import cv2

    from anpr.detect import build_detector
    from anpr.detect.config import DetectorConfig
    from anpr.detect.postprocess import letterbox, to_blob

    image = cv2.imread(str(scene))
    if image is None:
        raise FileNotFoundError(f"{scene}: test scene not readable (run from the repository root)")
    frame = np.asarray(cv2.resize(image, (1920, 1080)), dtype=np.uint8)
    rows = []
    for model in models:
        det = build_detector(DetectorConfig(model=str(model), threads=threads))
        net = det.net_for(*frame.shape[:2])  # the session this frame goes through (wide for 16:9)
        blob = to_blob(letterbox(frame, net.w, net.h)[0])
        session, name = net.session, net.input_name
        detect_ms = stats.time_calls(lambda d=det: d.detect(frame), runs)  # type: ignore[misc]
        run_ms = stats.time_calls(lambda s=session, n=name, b=blob: s.run(None, {n: b}), runs)  # type: ignore[misc]
        rows.append(
            {
                "model": model.name,
                "input": f"{net.w}x{net.h}",
                "threads": threads,
                "detect_ms": stats.percentiles(detect_ms),
                "run_ms": stats.percentiles(run_ms),
                "found": len(det.detect(frame)),
            }
        )
    return rows


def format_text(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'model':32s} {'input':>9s} {'detect ms (median/p95)':>24s} {'ort.run ms':>12s} {'found':>6s}"]
    for r in rows:
        d = r["detect_ms"]
        lines.append(
            f"{r['model']:32s} {r['input']:>9s} {d['p50']:11.1f} / {d['p95']:6.1f} {r['run_ms']['p50']:12.1f}"
            f" {r['found']:6d}"
        )
    return "\n".join(lines)
