"""Camera and weather degradations: blur, JPEG, night IR with blooming, rain, glare.

Each takes an image and the caller's `random.Random`, and returns a new image of the same size.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
import numpy.typing as npt

from anpr.synth._np import f32, u8
from anpr.types import Image

Quad = npt.NDArray[np.float32]


def _nrng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.getrandbits(32))


def motion_blur(img: Image, rng: random.Random, max_len: int = 9) -> Image:
    length = rng.randint(2, max(2, max_len))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(-30, 30), 1.0)
    kernel = f32(cv2.warpAffine(kernel, rot, (length, length)))
    return u8(cv2.filter2D(img, -1, kernel / max(float(kernel.sum()), 1e-6)))


def defocus(img: Image, rng: random.Random) -> Image:
    return u8(cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.8)))


def jpeg(img: Image, rng: random.Random, lo: int = 25, hi: int = 90) -> Image:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(lo, hi)])
    return u8(cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)) if ok else img


def video_blocks(img: Image, rng: random.Random) -> Image:
    """H.264-ish loss: chroma and detail smeared by down/up-scaling, then blocky low-quality JPEG."""
    h, w = img.shape[:2]
    f = rng.uniform(0.5, 0.85)
    small = cv2.resize(img, (max(2, int(w * f)), max(2, int(h * f))), interpolation=cv2.INTER_AREA)
    return jpeg(u8(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)), rng, 15, 45)


def noise(img: Image, rng: random.Random, sigma: float | None = None) -> Image:
    s = rng.uniform(1.0, 7.0) if sigma is None else sigma
    n = _nrng(rng).normal(0, s, img.shape[:2]).astype(np.float32)
    out = img.astype(np.float32) + (n[..., None] if img.ndim == 3 else n)
    return out.clip(0, 255).astype(np.uint8)


def bloom(gray: npt.NDArray[np.float32], threshold: float, strength: float, sigma: float) -> npt.NDArray[np.float32]:
    """Light bleeding out of the brightest parts (IR flash on retro-reflective film)."""
    hot = np.clip(gray - threshold, 0, None)
    return gray + f32(cv2.GaussianBlur(hot, (0, 0), sigma)) * strength


def night_ir(img: Image, rng: random.Random, plate_mask: npt.NDArray[np.float32] | None = None) -> Image:
    """Grayscale IR frame: the plate's film glows, everything else is dark, highlights bloom."""
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32) if img.ndim == 3 else img.astype(np.float32)
    if plate_mask is not None:  # retro-reflection: the plate returns the IR flash, the scene barely does
        gray = gray * (0.25 + 0.75 * plate_mask) * 1.0 + plate_mask * rng.uniform(20, 60)
    gray = gray * rng.uniform(1.0, 1.4)
    gray = bloom(gray, 200, rng.uniform(0.4, 1.2), max(1.0, gray.shape[1] * rng.uniform(0.005, 0.02)))
    out = u8(cv2.cvtColor(gray.clip(0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
    return noise(out, rng, rng.uniform(2, 8))


def rain(img: Image, rng: random.Random) -> Image:
    """Streaks of falling rain plus the haze it brings."""
    h, w = img.shape[:2]
    layer = np.zeros((h, w), np.float32)
    nrng = _nrng(rng)
    angle = rng.uniform(-0.3, 0.3)
    for _ in range(int(w * h / 400 * rng.uniform(0.2, 1.0))):
        x, y = int(nrng.integers(0, w)), int(nrng.integers(0, h))
        length = int(nrng.integers(max(3, h // 20), max(4, h // 6)))
        x2, y2 = int(x + np.sin(angle) * length), int(y + np.cos(angle) * length)
        cv2.line(layer, (x, y), (x2, y2), float(nrng.uniform(40, 110)), 1, cv2.LINE_AA)
    layer = f32(cv2.GaussianBlur(layer, (0, 0), 0.7))
    haze = rng.uniform(0.0, 0.25)
    out = img.astype(np.float32) * (1 - haze) + 170 * haze
    out = out + (layer[..., None] if img.ndim == 3 else layer)
    return u8(out.clip(0, 255))


def glare(img: Image, rng: random.Random) -> Image:
    """A soft specular highlight (sun or headlight) somewhere on the plate."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = max(w, h) * rng.uniform(0.1, 0.4)
    spot = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))) * rng.uniform(60, 160)
    out = img.astype(np.float32) + (spot[..., None] if img.ndim == 3 else spot)
    return u8(out.clip(0, 255))
