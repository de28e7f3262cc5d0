#!/usr/bin/env python3
"""Motorcycle (two-row) plates: the reader with and without `reader.two_row_cuts`, on degraded renders.

Renders only (plus `train/chile_gate_overlay` as a one-row check), never `eval/`: the figures in
`anpr/ocr/config.py` and `models/plate-reader.md` come from

    .venv/bin/python scripts/bench_two_rows.py [--n 300] [--cuts "" 0.45 0.42,0.5]

Each plate is rendered at 1 px/mm, shrunk to 40-120 px wide, blurred and JPEG-compressed at quality 40.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from anpr.bench.reader import load_set  # noqa: E402
from anpr.ocr.config import ReaderConfig  # noqa: E402
from anpr.ocr.ppocr import PpocrReader  # noqa: E402
from anpr.plates.chile import CONSONANTS  # noqa: E402
from anpr.synth.plate import render_plate  # noqa: E402
from anpr.types import Image  # noqa: E402


def degrade(img: Image, width: int, rng: random.Random) -> Image:
    h = round(img.shape[0] * width / img.shape[1])
    small = cv2.resize(img, (width, h), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), rng.uniform(0.3, 1.0))
    _, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 40])
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), dtype=np.uint8)


def samples(n: int, seed: int) -> list[tuple[str, str, Image]]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        text = "".join(rng.choice(CONSONANTS) for _ in range(3)) + f"{rng.randrange(1, 100):02d}"
        img = render_plate(text, random.Random(k), layout="moto", px_per_mm=1.0).image
        out.append(("moto", text, degrade(img, rng.choice([40, 50, 60, 80, 120]), rng)))
    for k in range(n * 2 // 3):
        text = "".join(rng.choice(CONSONANTS) for _ in range(4)) + f"{rng.randrange(1, 100):02d}"
        img = render_plate(text, random.Random(k), layout="car", px_per_mm=1.0).image
        out.append(("car", text, degrade(img, rng.choice([60, 80, 120]), rng)))
    gate = REPO.parent / "shared" / "plates" / "train" / "chile_gate_overlay"
    if (gate / "labels.csv").is_file():
        out += [("train/chile_gate_overlay", s.truth, s.crop) for s in load_set(gate)]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="motorcycle renders (cars: two thirds as many)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--cuts", nargs="+", default=["", "0.45"], help='comma-separated fractions; "" = off')
    args = ap.parse_args()
    data = samples(args.n, args.seed)
    for spec in args.cuts:
        cuts = tuple(float(c) for c in spec.split(",") if c)
        reader = PpocrReader(ReaderConfig(threads=2, two_row_cuts=cuts))
        tally: dict[str, list[int]] = {}
        for kind, truth, img in data:
            read = reader.read_crop(img)
            got = tally.setdefault(kind, [0, 0])
            got[0] += read is not None and read.text == truth
            got[1] += 1
        print(f"two_row_cuts={cuts}: " + "  ".join(f"{k} {a}/{b} exact" for k, (a, b) in tally.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
