#!/usr/bin/env python3
"""Reader-only evaluation on labelled plate photos, with tesseract as the floor in the same run.

    python scripts/eval_reader.py /work/shared/plates/eval/chile_gate [more sets...] [--threads 2] [--json]

Crops come from each row's box (x1..x2, y1..y2); rows without a box are whole-image crops (the night
crops). Prints, per set and per reader, exact plate accuracy on `ok` rows, character accuracy (aligned
position by position; a length mismatch counts the extra or missing characters as wrong), how many
crops gave no plate, and the median ms per crop.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import PpocrReader
from anpr.types import Detection, Image


@dataclass
class Sample:
    name: str
    truth: str
    crop: Image


def load_set(root: Path) -> list[Sample]:
    out: list[Sample] = []
    with open(root / "labels.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row.get("quality") != "ok":
                continue
            img = cv2.imread(str(root / row["file"]))
            if img is None:
                continue
            if row["x1"]:
                det = Detection(tuple(float(row[k]) for k in ("x1", "y1", "x2", "y2")), 1.0)  # type: ignore[arg-type]
                x1, y1, x2, y2 = (round(v) for v in det.box)
                crop = img[max(0, y1) : y2, max(0, x1) : x2]
            else:
                crop = img
            out.append(Sample(row["file"], row["plate_text"], crop))
    return out


def char_accuracy(truth: str, read: str) -> tuple[int, int]:
    right = sum(a == b for a, b in zip(truth, read, strict=False))
    return right, max(len(truth), len(read))


def tesseract(crop: Image) -> str:
    _ok, png = cv2.imencode(".png", crop)
    cmd = [
        "tesseract",
        "stdin",
        "stdout",
        "--psm",
        "7",
        "-c",
        "tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    ]
    res = subprocess.run(cmd, input=png.tobytes(), capture_output=True, timeout=30)
    text = "".join(c for c in res.stdout.decode(errors="replace").upper() if c.isalnum())
    return text.replace("CHILE", "")


def score(samples: list[Sample], read_fn) -> dict[str, float]:  # type: ignore[no-untyped-def]
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
    return {
        "n": len(samples),
        "exact": exact / max(1, len(samples)),
        "char": right / max(1, total),
        "no_plate": none,
        "ms_median": statistics.median(times) if times else 0.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--model", default=ReaderConfig().model)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-tesseract", action="store_true")
    ap.add_argument("--errors", action="store_true", help="print each wrong read")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    reader = PpocrReader(ReaderConfig(model=args.model, threads=args.threads, min_confidence=0.0))
    results: dict[str, dict[str, dict[str, float]]] = {}
    for root in args.sets:
        samples = load_set(root)
        for s in samples[:3]:  # warm-up: first runs allocate
            reader.read_crop(s.crop)

        def ours(crop: Image) -> str | None:
            read = reader.read_crop(crop)
            return None if read is None else read.text

        res = {"ppocr+grammar": score(samples, ours)}
        if not args.no_tesseract and shutil.which("tesseract"):
            res["tesseract"] = score(samples, tesseract)
        results[root.name] = res
        if args.errors:
            for s in samples:
                read = reader.read_crop(s.crop)
                if read is None or read.text != s.truth:
                    print(
                        f"  {root.name} {s.name} truth={s.truth} read={read and read.text} raw={read and read.raw_text}"
                    )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'set':20} {'reader':14} {'n':>4} {'exact':>7} {'char':>7} {'none':>5} {'ms':>7}")
        for name, res in results.items():
            for rd, m in res.items():
                cols = f"{m['n']:4d} {m['exact']:7.3f} {m['char']:7.3f} {m['no_plate']:5d} {m['ms_median']:7.1f}"
                print(f"{name:20} {rd:14} {cols}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
