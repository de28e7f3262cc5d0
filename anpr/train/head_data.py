"""Training rows for the reader's plate head (`anpr train reader-head`): model inputs with their text.

Every row goes through `anpr.ocr.preprocess.prepare`, the reader's own pre-processing at run time (deskew,
CLAHE, row split, character-line crop, resize to height 48), so the head is trained on the features it
will see. Sources, all from train data (never `eval/`):
- rendered crops (`anpr.synth.crops.make_crop`), a share of them pushed further into night: grey IR,
  small (45-185 px wide, the size of far plates at night), blurred, rain, compressed;
- the labelled real boxes under `../shared/plates/train`: the reader's own crop, jittered crops, and
  night-degraded copies of both (real Chilean glyphs at night are what the eval sets hold and the renders
  only approximate).
Two-row crops keep their rows apart with each row's own text (the motorcycle rule of `recognizer_data`);
a crop whose row split does not match its layout is skipped, as the reader would misread it anyway.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from anpr.ocr import preprocess
from anpr.synth import effects, wear
from anpr.synth._np import u8
from anpr.train.recognizer_data import _jitter, moto_rows, real_rows
from anpr.types import Detection, Image

log = logging.getLogger(__name__)

Tensor = npt.NDArray[np.float32]
VAL_SHARE = 0.1
"""Share of source images held out for validation (`is_val`), the same for the fit and the glyph bank."""
NIGHT_WIDTH = (45, 185)
"""Widths of the night crops a patrol car sees (far plates, IR): the range night degradations shrink to."""


@dataclass(frozen=True, slots=True)
class HeadSettings:
    renders: int = 8000
    night_share: float = 0.5
    real_glyph_share: float = 0.0
    """Share of renders whose glyphs are cut from real train plates (`anpr.synth.real_glyphs`)."""
    real_variants: int = 6
    real_night_variants: int = 6
    glint_share: float = 0.0
    """Share of crops (renders and real) given bright rivet glints (`anpr.synth.wear.glints`); 0 draws no
    random number, so runs without it are the runs before it."""
    seed: int = 0
    height: int = 48
    max_width: int = 320
    margin_x: float = 0.04
    margin_y: float = 0.0


@dataclass(frozen=True, slots=True)
class HeadRow:
    """One model input (3×48×W, normalised) and the text it shows."""

    x: Tensor
    text: str
    source: str  # "render", "render_night" or the real set's name (+ "_night")
    group: str  # every row of one source image shares it: kept on one side of the train/validation split


def is_val(group: str, share: float) -> bool:
    """A fixed, seed-free split by source image: the same groups are held out on every machine."""
    h = int.from_bytes(hashlib.sha256(group.encode()).digest()[:4], "big")
    return h < share * 2**32


def night(img: Image, rng: random.Random) -> Image:
    """A crop made to look like a night IR frame of a far plate: grey, small, soft, noisy, compressed."""
    h, w = img.shape[:2]
    width = round(math.exp(rng.uniform(math.log(NIGHT_WIDTH[0]), math.log(NIGHT_WIDTH[1]))))
    width = min(width, w)
    small = u8(cv2.resize(img, (width, max(8, round(h * width / w))), interpolation=cv2.INTER_AREA))
    out = effects.night_ir(small, rng)
    for fn, p in ((effects.motion_blur, 0.3), (effects.defocus, 0.4), (effects.rain, 0.25), (effects.glare, 0.2)):
        if rng.random() < p:
            out = fn(out, rng)
    gray = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    gain, bias = rng.uniform(0.6, 1.3), rng.uniform(-40, 30)
    gray = np.clip(gray.astype(np.float32) * gain + bias, 0, 255).astype(np.uint8)
    return effects.jpeg(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), rng, 30, 85)


def rows_of(crop: Image, text: str, moto: bool, s: HeadSettings) -> list[tuple[Tensor, str]] | None:
    """The crop's model inputs with each row's text, or None when the row split does not fit the layout."""
    xs = preprocess.prepare(crop, height=s.height, max_width=s.max_width)
    if moto and len(xs) == 2:
        return list(zip(xs, moto_rows(text), strict=True))
    if not moto and len(xs) == 1:
        return [(xs[0], text)]
    return None


def render_rows(s: HeadSettings, train_root: Path | None = None) -> Iterator[HeadRow]:
    """Rows of `s.renders` rendered crops; with `s.real_glyph_share` and `train_root`, that share of them in
    glyphs cut from the real train plates (held-out source images excluded)."""
    from anpr.synth import glyphs, real_glyphs
    from anpr.synth.crops import make_crop

    if s.real_glyph_share > 0 and train_root is not None:
        bank = real_glyphs.build_bank(train_root, lambda group: not is_val(group, VAL_SHARE))
        glyphs.use_real_bank(bank, s.real_glyph_share)

    try:
        for i in range(s.renders):
            rng = random.Random(f"{s.seed}:head:{i}")
            c = make_crop(rng)
            dark = rng.random() < s.night_share
            img = night(c.image, rng) if dark else c.image
            img = _maybe_glints(img, rng, s)
            rows = rows_of(img, c.text, c.format.startswith("moto"), s)
            for x, t in rows or []:
                yield HeadRow(x, t, "render_night" if dark else "render", f"render:{i}")
    finally:
        glyphs.use_real_bank({}, 0.0)  # renders elsewhere in this process stay in the machine faces


def real_crops(path: Path, text: str, box: tuple[float, float, float, float], s: HeadSettings) -> Iterator[Image]:
    """The reader's own crop of a labelled box, jittered crops, then night copies of jittered crops."""
    img = cv2.imread(str(path))
    if img is None:
        log.warning("cannot read %s; skipped", path)
        return
    rng = random.Random(f"{s.seed}:head:{path.name}:{text}")
    for v in range(s.real_variants + s.real_night_variants):
        det_box = box if v == 0 else _jitter(box, rng)
        crop = preprocess.crop(np.asarray(img), Detection(det_box, 1.0), (s.margin_x, s.margin_y))
        if crop is None:
            continue
        yield _maybe_glints(night(crop, rng) if v >= s.real_variants else crop, rng, s)


def _maybe_glints(img: Image, rng: random.Random, s: HeadSettings) -> Image:
    return wear.glints(img, rng) if s.glint_share > 0 and rng.random() < s.glint_share else img


def real_head_rows(train_root: Path, sets: Sequence[str], s: HeadSettings) -> Iterator[HeadRow]:
    """Rows of the labelled real boxes of `sets` under `train_root` (one-row reads only: the row texts of
    foreign two-row plates are unknown)."""
    for path, text, box, name in real_rows(train_root):
        if name not in sets:
            continue
        group = f"{name}:{path.name}:{text}"
        for k, crop in enumerate(real_crops(path, text, box, s)):
            rows = rows_of(crop, text, False, s)
            if rows:
                dark = k >= s.real_variants
                yield HeadRow(rows[0][0], text, f"{name}_night" if dark else name, group)
