"""Glyph masks for plate characters, drawn with Pillow from condensed sans faces on the machine.

No free FE-Schrift exists in Debian, so we take the closest faces Debian ships (DejaVu Sans Condensed
Bold, Liberation Sans Bold, ...) and squeeze each glyph into the plate's character cell: all faces end
up with the same cap height and a similar width, which is what varies between real plates anyway.
"""

from __future__ import annotations

import functools
import logging
import random
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Mask = npt.NDArray[np.uint8]

# Candidate faces, most FE-Schrift-like first. Missing files are skipped; Pillow's bundled face is the
# last resort so the renderer works on a bare machine (renders then differ from ours, see README).
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMono-Bold.ttf",
)
_RASTER_SIZE = 160  # px em size used to rasterise a glyph before it is resized into its cell


@functools.lru_cache(maxsize=1)
def available_fonts() -> tuple[str, ...]:
    """Font files present on this machine, in preference order ("" stands for Pillow's own face)."""
    found = tuple(p for p in FONT_CANDIDATES if Path(p).is_file())
    if not found:
        log.warning("no plate fonts found among %d candidates; using Pillow's bundled face", len(FONT_CANDIDATES))
        return ("",)
    return found


_REAL_BANK: dict[str, tuple[Mask, ...]] = {}
_REAL_SHARE = 0.0
REAL = "real:"
"""Font key prefix of the real-glyph bank (`use_real_bank`): `real:K` takes sample K of each character."""


def use_real_bank(bank: dict[str, list[Mask]], share: float) -> None:
    """Renders from now on take their glyphs from `bank` (real plate crops, `anpr.synth.real_glyphs`) with
    probability `share`; characters the bank lacks come from the plate's face as before. Off by default:
    with no bank no random number is drawn, so every other render stays as it was."""
    global _REAL_SHARE
    _REAL_BANK.clear()
    _REAL_BANK.update({c: tuple(v) for c, v in bank.items() if v})
    _REAL_SHARE = share if _REAL_BANK else 0.0
    _raw_glyph.cache_clear()


def pick_font(rng: random.Random) -> str:
    """A face for one plate. The draw is over the full candidate list, so a machine missing a face uses
    the same random numbers as one that has it (only that plate's glyph shapes change, not the rest)."""
    if _REAL_SHARE and rng.random() < _REAL_SHARE:
        return f"{REAL}{rng.randrange(1 << 16)}"
    wanted = rng.choice(FONT_CANDIDATES)
    return wanted if Path(wanted).is_file() else available_fonts()[0]


@functools.lru_cache(maxsize=4096)
def _raw_glyph(font_path: str, char: str) -> Mask:
    """The glyph's ink, cropped tight, as a 0..255 mask (Pillow imported lazily: CLI stays light)."""
    if font_path.startswith(REAL):
        samples = _REAL_BANK.get(char)
        if not samples:  # a character no train plate showed: the first machine face
            return _raw_glyph(available_fonts()[0], char)
        return samples[int(font_path[len(REAL) :]) % len(samples)]
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, _RASTER_SIZE) if font_path else ImageFont.load_default(_RASTER_SIZE)
    left, top, right, bottom = font.getbbox(char)
    w, h = max(1, int(right - left) + 4), max(1, int(bottom - top) + 4)
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).text((2 - left, 2 - top), char, fill=255, font=font)
    arr = np.asarray(img, dtype=np.uint8)
    ys, xs = np.nonzero(arr > 16)
    if len(xs) == 0:
        return np.zeros((1, 1), np.uint8)
    return np.ascontiguousarray(arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def glyph(font_path: str, char: str, cell_w: int, cell_h: int, condense: float) -> Mask:
    """Glyph mask scaled to the cell height; width is the face's own times `condense`, capped by the cell.

    Narrow glyphs (1, I, J) stay narrow: stretching them to the cell width would invent letters no
    plate has.
    """
    raw = _raw_glyph(font_path, char)
    scale = cell_h / raw.shape[0]
    width = round(min(cell_w, raw.shape[1] * scale * condense))
    return np.asarray(cv2.resize(raw, (max(1, width), cell_h), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def condense_for(font_path: str, cell_w: int, cell_h: int, fill: float = 0.86) -> float:
    """Horizontal squeeze that makes a '0' fill `fill` of the cell: turns any face into a condensed one."""
    raw = _raw_glyph(font_path, "0")
    natural = raw.shape[1] * cell_h / raw.shape[0]
    return float(fill * cell_w / natural)
