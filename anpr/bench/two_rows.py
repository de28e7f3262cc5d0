"""Motorcycle (two-row) plates: the reader with and without `reader.two_row_cuts`, on degraded renders.

Renders only (plus `train/chile_gate_overlay` as a one-row check), never `eval/`: the figures in
`anpr/ocr/config.py` and `models/plate-reader.md` come from `anpr bench two-rows [--n 300] [--cuts "" 0.45]`.
Each plate is rendered at 1 px/mm, shrunk to 40-120 px wide, blurred and JPEG-compressed at quality 40.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from anpr.bench.reader import load_set
from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import PpocrReader
from anpr.plates.chile import CONSONANTS
from anpr.synth.plate import render_plate
from anpr.types import Image

GATE_SET = "chile_gate_overlay"


def degrade(img: Image, width: int, rng: random.Random) -> Image:
    h = round(img.shape[0] * width / img.shape[1])
    small = cv2.resize(img, (width, h), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (3, 3), rng.uniform(0.3, 1.0))
    _, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 40])
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), dtype=np.uint8)


def samples(n: int, seed: int, train_root: Path | None) -> list[tuple[str, str, Image]]:
    """(kind, truth, crop): `n` motorcycle renders, two thirds as many car renders, the gate set's crops."""
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
    gate = None if train_root is None else train_root / GATE_SET
    if gate is not None and (gate / "labels.csv").is_file():
        out += [(f"train/{GATE_SET}", s.truth, s.crop) for s in load_set(gate)]
    return out


def parse_cuts(spec: str) -> tuple[float, ...]:
    """ "0.42,0.5" -> (0.42, 0.5); "" -> () (the retry off). ValueError on anything else."""
    cuts = tuple(float(c) for c in spec.split(",") if c.strip())
    if any(not 0.0 < c < 1.0 for c in cuts):
        raise ValueError(f"cuts {spec!r}: fractions of the plate height, between 0 and 1")
    return cuts


def bench_two_rows(
    cut_specs: Sequence[str], n: int = 300, seed: int = 11, train_root: Path | None = None, threads: int = 2
) -> dict[str, dict[str, list[int]]]:
    """{cuts spec: {kind: [exact, total]}} for each `reader.two_row_cuts` setting."""
    settings = [(spec, parse_cuts(spec)) for spec in cut_specs]  # refuse a bad spec before rendering
    data = samples(n, seed, train_root)
    result: dict[str, dict[str, list[int]]] = {}
    for spec, cuts in settings:
        reader = PpocrReader(ReaderConfig(threads=threads, two_row_cuts=cuts))
        tally: dict[str, list[int]] = {}
        for kind, truth, img in data:
            read = reader.read_crop(img)
            got = tally.setdefault(kind, [0, 0])
            got[0] += read is not None and read.text == truth
            got[1] += 1
        result[spec] = tally
    return result


def format_text(result: dict[str, dict[str, list[int]]]) -> str:
    return "\n".join(
        f"two_row_cuts={parse_cuts(spec)}: " + "  ".join(f"{k} {a}/{b} exact" for k, (a, b) in tally.items())
        for spec, tally in result.items()
    )
