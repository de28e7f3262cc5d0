"""A bank of real Chilean plate glyphs, cut from labelled train crops, for renders in the plate's own face.

The renderer's faces (DejaVu, Liberation: `glyphs.py`) are not the Chilean plate face (FE-Schrift-like,
no free copy in Debian): their 5 and 6, or G and C, differ where the real ones do not, and a reader
trained on them learns the wrong cues (5→6 tripled on real night crops, models/plate-reader.md). The
gate camera's train crops show the real face: each plate whose character line splits into exactly as
many blobs as its text has characters gives one ink mask per character. Opt-in: `glyphs.use_real_bank`
makes `pick_font` draw from it; nothing changes for any other render.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from anpr.ocr import preprocess
from anpr.synth.glyphs import Mask
from anpr.train.recognizer_data import real_rows
from anpr.types import Detection, Image

log = logging.getLogger(__name__)

BANK_SETS = ("chile_gate_overlay",)
"""Train sets whose plates are in the Chilean face and large enough to cut glyphs from."""


def ink(cell: Image) -> Mask:
    """A grey character cell → its ink as 0..255 (dark strokes on a light plate), anti-aliasing kept."""
    c = cell.astype(np.float32)
    fg, bg = np.percentile(c, 10), np.percentile(c, 90)
    if bg - fg < 20:  # no contrast: not a glyph
        return np.zeros((1, 1), np.uint8)
    return np.asarray(np.clip((bg - c) / (bg - fg) * 255, 0, 255), dtype=np.uint8)


def plate_glyphs(image: Image, box: tuple[float, float, float, float], text: str) -> list[tuple[str, Mask]]:
    """(character, ink mask) per character of one labelled plate, or [] when its line does not hold exactly
    len(text) character-high blobs (then which blob is which character is not known). Shorter blobs in the
    line (the separators, the shield, the overlay's text) are left out."""
    crop = preprocess.crop(image, Detection(box, 1.0), (0.0, -0.05))
    if crop is None:
        return []
    gray = preprocess.to_gray(crop)
    gray = preprocess.rotate(gray, preprocess.deskew_angle(gray))
    rows = preprocess._rows_of(preprocess.glyphs(gray).boxes)
    if not rows:
        return []
    line = max(rows, key=len)
    if len(line) < len(text):
        return []
    tall = line[np.argsort(-line[:, 3], kind="stable")]
    chars, rest = tall[: len(text)], tall[len(text) :]
    med = float(np.median(chars[:, 3]))
    if np.abs(chars[:, 3] - med).max() > 0.2 * med or (len(rest) and rest[:, 3].max() > 0.75 * med):
        return []
    line = chars[np.argsort(chars[:, 0])]
    out: list[tuple[str, Mask]] = []
    for (x, y, w, h), ch in zip(line.tolist(), text, strict=True):
        mask = ink(gray[y : y + h, x : x + w])
        if mask.shape[0] > 1:
            out.append((ch, mask))
    return out


def build_bank(train_root: Path, keep: Callable[[str], bool] = lambda group: True) -> dict[str, list[Mask]]:
    """Glyph masks per character from the labelled boxes of BANK_SETS whose group (set:file:text) `keep`s."""
    bank: dict[str, list[Mask]] = defaultdict(list)
    plates = used = 0
    for path, text, box, name in real_rows(train_root):
        if name not in BANK_SETS or not keep(f"{name}:{path.name}:{text}"):
            continue
        plates += 1
        image = cv2.imread(str(path))
        if image is None:
            continue
        cut = plate_glyphs(np.asarray(image, np.uint8), box, text)
        used += bool(cut)
        for ch, mask in cut:
            bank[ch].append(mask)
    log.info("glyph bank: %d of %d plates cut, %d characters, %d glyphs", used, plates, len(bank),
             sum(len(v) for v in bank.values()))  # fmt: skip
    return dict(bank)
