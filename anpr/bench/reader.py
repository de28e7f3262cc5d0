"""`anpr bench reader`: plate reader speed and accuracy on labelled crops, tesseract as the floor.

Sets are folders in the shared labels format. Rows with a box are cropped to it; rows without are
whole-image crops (the night crops). Only `ok` rows count. Without a set, the crops are the labelled
boxes of a sample video's truth sidecar (speed only is meaningful there: the clips are synthetic).
Character accuracy is aligned position by position; a length mismatch counts the extra or missing
characters as wrong (the figures in models/plate-reader.md were measured this way).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from anpr.bench import stats
from anpr.types import Image


@dataclass(frozen=True)
class Sample:
    name: str
    truth: str
    crop: Image


def load_set(root: Path) -> list[Sample]:
    import cv2

    out: list[Sample] = []
    with open(root / "labels.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("quality") != "ok":
                continue
            img = cv2.imread(str(root / row["file"]))
            if img is None:
                continue
            if row.get("x1"):
                x1, y1, x2, y2 = (round(float(row[k])) for k in ("x1", "y1", "x2", "y2"))
                img = img[max(0, y1) : y2, max(0, x1) : x2]
            out.append(Sample(row["file"], row["plate_text"], np.asarray(img, dtype=np.uint8)))
    return out


def load_video_crops(video: Path, limit: int = 60) -> list[Sample]:
    """Crops of the boxes in `VIDEO.truth.json`, spread over the clip."""
    import cv2

    from anpr.app.truth import truth_boxes

    wanted = truth_boxes(video.with_suffix(".truth.json"))
    frames = sorted(wanted)
    step = max(1, len(frames) // max(1, limit))
    keep = set(frames[::step])
    out: list[Sample] = []
    cap = cv2.VideoCapture(str(video))
    try:
        seq = 0
        while len(out) < limit:
            ok, img = cap.read()
            if not ok:
                break
            for text, (x1, y1, x2, y2) in wanted.get(seq, []) if seq in keep else []:
                crop = img[max(0, int(y1)) : int(y2), max(0, int(x1)) : int(x2)]
                if crop.size:
                    out.append(Sample(f"{video.name}#{seq}", text, np.asarray(crop, dtype=np.uint8)))
            seq += 1
    finally:
        cap.release()
    return out


def char_accuracy(truth: str, read: str) -> tuple[int, int]:
    right = sum(a == b for a, b in zip(truth, read, strict=False))
    return right, max(len(truth), len(read))


def score(samples: list[Sample], read_fn: Callable[[Image], str | None]) -> dict[str, Any]:
    exact = right = total = none = 0
    times: list[float] = []
    for s in samples:
        t0 = time.perf_counter()
        text = read_fn(s.crop)
        times.append((time.perf_counter() - t0) * 1000)
        if text is None:
            none += 1
            text = ""
        exact += text == s.truth
        r, n = char_accuracy(s.truth, text)
        right, total = right + r, total + n
    n = len(samples)
    return {
        "n": n,
        "exact": round(exact / n, 4) if n else 0.0,
        "char": round(right / total, 4) if total else 0.0,
        "no_plate": none,
        "ms": stats.percentiles(times),
    }


def _build(model: str, threads: int, backend: str) -> Any:
    from anpr.ocr import build_reader
    from anpr.ocr.config import ReaderConfig

    path = Path(model)
    # A shipped model is checked against its sidecar hash; a candidate being compared may have none yet.
    sha: str | None = "" if path.with_name(path.name + ".sha256").is_file() else None
    if backend == "crnn":
        cfg = ReaderConfig(backend="crnn", crnn_model=model, crnn_sha256=sha, threads=threads, min_confidence=0.0)
    else:
        cfg = ReaderConfig(model=model, sha256=sha, threads=threads, min_confidence=0.0)
    return build_reader(cfg)


def bench_reader(
    sets: list[Path],
    *,
    models: list[str],
    threads: int,
    video: Path,
    with_tesseract: bool = True,
    crnn: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per set, per reader (named by its model file; `crnn:` for the CRNN backend): accuracy and ms/crop."""
    from anpr.bench.baseline import tesseract_available, tesseract_read

    readers = [(Path(m).stem, _build(m, threads, "ppocr")) for m in models]
    readers += [(f"crnn:{Path(m).stem}", _build(m, threads, "crnn")) for m in crnn or []]
    results: dict[str, dict[str, Any]] = {}
    named = [(root.name, load_set(root)) for root in sets] or [(video.name, load_video_crops(video))]
    for name, samples in named:
        res: dict[str, Any] = {}
        for label, reader in readers:
            for s in samples[:3]:  # warm-up: first runs allocate
                reader.read_crop(s.crop)

            def ours(crop: Image, reader: Any = reader) -> str | None:
                read = reader.read_crop(crop)
                return None if read is None else str(read.text)

            res[label] = score(samples, ours)
        if with_tesseract and tesseract_available():
            res["tesseract"] = score(samples, lambda c: tesseract_read(c, binarise=False))
        results[name] = res
    return results


def format_text(results: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'set':20} {'reader':22} {'n':>4} {'exact':>7} {'char':>7} {'none':>5} {'ms p50':>7} {'ms p95':>7}"]
    for name, res in results.items():
        for rd, m in res.items():
            cols = f"{m['n']:4d} {m['exact']:7.3f} {m['char']:7.3f} {m['no_plate']:5d}"
            lines.append(f"{name:20} {rd:22} {cols} {m['ms']['p50']:7.1f} {m['ms']['p95']:7.1f}")
    return "\n".join(lines)
