"""What a plate collects on the road: reflective sheen, dirt, bolts, a dealer frame."""

from __future__ import annotations

import random

import cv2
import numpy as np

from anpr.synth._np import u8
from anpr.types import Image

BGR = tuple[int, int, int]


def rounded_rect(img: Image, box: tuple[int, int, int, int], r: int, colour: BGR, thickness: int) -> None:
    """Outline of a rounded rectangle (OpenCV has none)."""
    x1, y1, x2, y2 = box
    lt = cv2.LINE_AA
    cv2.line(img, (x1 + r, y1), (x2 - r, y1), colour, thickness, lt)
    cv2.line(img, (x1 + r, y2), (x2 - r, y2), colour, thickness, lt)
    cv2.line(img, (x1, y1 + r), (x1, y2 - r), colour, thickness, lt)
    cv2.line(img, (x2, y1 + r), (x2, y2 - r), colour, thickness, lt)
    for cx, cy, ang in ((x1 + r, y1 + r, 180), (x2 - r, y1 + r, 270), (x2 - r, y2 - r, 0), (x1 + r, y2 - r, 90)):
        cv2.ellipse(img, (cx, cy), (r, r), ang, 0, 90, colour, thickness, lt)


def _low_freq_noise(h: int, w: int, rng: random.Random, cells: int = 6) -> np.ndarray:
    """Smooth random field in [0, 1]: a tiny random grid scaled up (cheap and deterministic)."""
    nrng = np.random.default_rng(rng.getrandbits(32))
    grid = nrng.random((cells, max(2, cells * w // max(h, 1)))).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def sheen(img: Image, rng: random.Random) -> Image:
    """Retro-reflective film: a soft diagonal highlight band plus a faint overall tint."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(-0.6, 0.6)
    pos = rng.uniform(0.1, 0.9) * w
    d = (xx - pos) * np.cos(angle) + (yy - h / 2) * np.sin(angle)
    band = np.exp(-((d / (w * rng.uniform(0.08, 0.3))) ** 2)) * rng.uniform(0.05, 0.25)
    out = img.astype(np.float32) * rng.uniform(0.82, 1.0) + 255 * band[..., None]
    return u8(np.clip(out, 0, 255))


def dirt(img: Image, rng: random.Random) -> Image:
    """Road grime: a blotchy brown-grey multiply, stronger near the bottom edge, plus a few specks."""
    h, w = img.shape[:2]
    amount = rng.uniform(0.0, 0.35)
    field = _low_freq_noise(h, w, rng) * amount
    field *= np.linspace(0.6, 1.3, h, dtype=np.float32)[:, None]
    tint = np.array([0.55, 0.62, 0.68], np.float32)  # brownish dust (BGR)
    out = img.astype(np.float32) * (1 - field[..., None] * (1 - tint))
    nrng = np.random.default_rng(rng.getrandbits(32))
    for _ in range(int(amount * 20)):
        x, y = int(nrng.integers(0, w)), int(nrng.integers(0, h))
        cv2.circle(out, (x, y), int(nrng.integers(1, 3)), (70.0, 80.0, 90.0), -1)
    return np.clip(out, 0, 255).astype(np.uint8)


def bolts(img: Image, rng: random.Random) -> None:
    """Two mounting screws, left and right, high or at mid-height, with a highlight."""
    h, w = img.shape[:2]
    y = round(h * rng.choice((0.17, 0.5)))
    r = max(2, round(h * 0.035))
    for x in (round(w * 0.045), round(w * 0.955)):
        cv2.circle(img, (x, y), r, (150, 150, 150), -1, cv2.LINE_AA)
        cv2.circle(img, (x, y), r, (90, 90, 90), 1, cv2.LINE_AA)
        cv2.circle(img, (x - r // 3, y - r // 3), max(1, r // 3), (225, 225, 225), -1, cv2.LINE_AA)


def frame(img: Image, rng: random.Random) -> tuple[Image, int]:
    """A dealer frame: dark (or chrome) plastic around the plate, sometimes a deeper bottom band."""
    h = img.shape[0]
    t = max(2, round(h * rng.uniform(0.03, 0.08)))
    bottom = t + (round(h * rng.uniform(0.0, 0.12)) if rng.random() < 0.4 else 0)
    colour = rng.choice(((25, 25, 25), (40, 40, 45), (170, 170, 175)))
    out = u8(cv2.copyMakeBorder(img, t, bottom, t, t, cv2.BORDER_CONSTANT, value=colour))
    rounded_rect(out, (1, 1, out.shape[1] - 2, out.shape[0] - 2), t, (0, 0, 0), 1)
    return out, t


def weather(img: Image, rng: random.Random, ink: BGR) -> tuple[Image, int]:
    """Apply sheen, dirt, bolts and maybe a frame; returns the image and the frame's width (0 if none)."""
    del ink  # reserved: faded ink would go here
    out = img.copy()
    if rng.random() < 0.85:
        bolts(out, rng)
    out = sheen(out, rng)
    if rng.random() < 0.7:
        out = dirt(out, rng)
    if rng.random() < 0.35:
        return frame(out, rng)
    return out, 0


def glints(img: Image, rng: random.Random) -> Image:
    """One to three bright rivet heads or bolt glints in the character band, where they may land inside a
    glyph: at night a lit rivet inside a 5's lower bowl closes it into a 6 for a plate-trained reader
    (models/plate-reader.md), so the renders teach it that a round bright speck is not a stroke."""
    out = img.astype(np.float32)
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    for _ in range(rng.randint(1, 3)):
        x, y = round(rng.uniform(0.05, 0.95) * w), round(rng.uniform(0.2, 0.8) * h)
        cv2.circle(mask, (x, y), max(1, round(h * rng.uniform(0.03, 0.08))), 1.0, -1, cv2.LINE_AA)
    halo = cv2.GaussianBlur(mask, (0, 0), max(0.6, h * 0.02))
    level = rng.uniform(200, 255)
    a = np.clip(mask + 0.6 * halo, 0.0, 1.0)
    if out.ndim == 3:
        a = a[..., None]
    return u8(np.clip(out * (1 - a) + level * a, 0, 255))
