"""A contact sheet of renders for the docs: one look tells a reader what the synthetic plates are like."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np

from anpr.synth._np import u8
from anpr.synth.plate import STYLES, Layout, render_plate
from anpr.synth.texts import random_text
from anpr.types import Image

CELL_W, CELL_H, COLS = 260, 110, 5


def contact_sheet(n: int = 50, seed: int = 0) -> Image:
    """`n` renders in a grid; the first ones walk through every colour family, the rest are random."""
    rng = random.Random(f"sheet:{seed}")
    styles = list(STYLES)
    rows = (n + COLS - 1) // COLS
    sheet = np.full((rows * CELL_H, COLS * CELL_W, 3), 70, np.uint8)
    for i in range(n):
        layout: Layout = "moto" if i % 9 == 4 else "car"
        text, _ = random_text(rng, layout)
        style = styles[i] if i < len(styles) else None
        img = render_plate(text, rng, layout=layout, style=style, px_per_mm=1.5).image
        scale = min((CELL_W - 10) / img.shape[1], (CELL_H - 10) / img.shape[0])
        img = u8(cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
        r, c = divmod(i, COLS)
        y = r * CELL_H + (CELL_H - img.shape[0]) // 2
        x = c * CELL_W + (CELL_W - img.shape[1]) // 2
        sheet[y : y + img.shape[0], x : x + img.shape[1]] = img
    return sheet


def write_sheet(path: Path, n: int = 50, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), contact_sheet(n, seed), [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"cannot write {path}")
