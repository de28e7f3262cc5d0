#!/usr/bin/env python3
"""Detector speed per 1080p frame at each model input size (prints; asserts nothing).

    .venv/bin/python scripts/bench_detector.py [MODEL.onnx ...] [--threads 2] [--runs 30]

Each model needs its `.sha256` sidecar (as shipped). Times the whole `detect()` (letterbox + inference +
decode/NMS) and the onnxruntime run alone, on the committed test scene scaled to 1920x1080.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from anpr.detect import build_detector  # noqa: E402
from anpr.detect.config import DetectorConfig  # noqa: E402
from anpr.detect.postprocess import letterbox, to_blob  # noqa: E402


def _ms(fn: object, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", type=Path, default=[ROOT / "models" / "plate-detector.onnx"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    frame = cv2.resize(cv2.imread(str(ROOT / "tests" / "data" / "detector_plate.jpg")), (1920, 1080))
    print(f"{'model':40s} {'input':>9s} {'detect ms (median/p95)':>24s} {'ort.run ms':>12s} {'found':>6s}")
    for model in args.models:
        det = build_detector(DetectorConfig(model=str(model), threads=args.threads))
        blob = to_blob(letterbox(frame, det.input_w, det.input_h)[0])
        session, name = det._session, det._input_name  # bench only: time the bare inference too
        for _ in range(3):
            det.detect(frame)
        med, p95 = _ms(lambda d=det: d.detect(frame), args.runs)
        run_med, _ = _ms(lambda s=session, n=name, b=blob: s.run(None, {n: b}), args.runs)
        found = len(det.detect(frame))
        size = f"{det.input_w}x{det.input_h}"
        print(f"{model.name:40s} {size:>9s} {med:11.1f} / {p95:6.1f} {run_med:12.1f} {found:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
