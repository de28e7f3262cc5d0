"""`anpr bench focus`: do the focus windows find what the whole frame finds? (anpr/detect/focus.py)

Every Nth frame of each clip goes through the detector whole; each detection scoring at least `min_score` is
then looked for again with `detect_regions` in a window centred on it, as the pipeline does between
whole-frame detections. Printed: how many were found again, how far their corners moved (frame px) and how
much their scores changed, and the ones missed; boxes far taller than wide (no plate) are counted apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def bench_focus(clips: list[Path], *, every: int = 4, min_score: float = 0.25) -> dict[str, Any]:
    import cv2

    from anpr.detect import build_detector
    from anpr.detect.config import DetectorConfig
    from anpr.detect.focus import TALL
    from anpr.detect.postprocess import box_iou

    detector = build_detector(DetectorConfig())
    corners: list[float] = []
    scores: list[float] = []
    missed: list[dict[str, Any]] = []
    whole = tall = 0
    for clip in clips:
        cap = cv2.VideoCapture(str(clip))
        if not cap.isOpened():
            raise FileNotFoundError(f"{clip}: not a readable video")
        index = -1
        try:
            while True:
                ok, frame = cap.read()
                index += 1
                if not ok:
                    break
                if index % every:
                    continue
                image = np.asarray(frame, dtype=np.uint8)
                for det in detector.detect(image):
                    if det.score < min_score:
                        continue
                    if det.height > TALL * det.width:
                        tall += 1  # no plate: never looked for in a window
                        continue
                    found = detector.detect_regions(image, [det.box])
                    if found is None:
                        whole += 1  # the pipeline would detect this frame whole
                        continue
                    ref = np.array(det.box, np.float32)
                    boxes = np.array([f.box for f in found], np.float32).reshape(-1, 4)
                    best = int(box_iou(ref, boxes).argmax()) if len(boxes) else -1
                    if best < 0 or box_iou(ref, boxes[best : best + 1])[0] < 0.5:
                        box = [round(v) for v in det.box]
                        missed.append({"clip": clip.name, "frame": index, "box": box, "score": round(det.score, 2)})
                        continue
                    corners.append(float(np.abs(boxes[best] - ref).max()))
                    scores.append(abs(found[best].score - det.score))
        finally:
            cap.release()
    n = len(corners) + len(missed)

    def pct(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        return {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 95, 100)}

    return {
        "detections": n + whole + tall,
        "too_tall": tall,
        "found_again": len(corners),
        "whole_frame_instead": whole,
        "missed": missed,
        "corner_px": pct(corners),
        "score_diff": pct(scores),
        "every": every,
    }


def format_text(res: dict[str, Any]) -> str:
    lines = [
        f"{res['detections']} detections (every {res['every']}th frame): found again in a window "
        f"{res['found_again']}, missed {len(res['missed'])}, "
        f"frame detected whole instead {res['whole_frame_instead']}, "
        f"far taller than wide (not looked for) {res['too_tall']}",
        f"corner moved (frame px): {res['corner_px']}",
        f"score changed: {res['score_diff']}",
    ]
    lines += [f"  missed: {m['clip']} frame {m['frame']} box {m['box']} score {m['score']}" for m in res["missed"]]
    return "\n".join(lines)
