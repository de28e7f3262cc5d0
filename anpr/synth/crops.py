"""Reader training crops: a rendered plate in a loose, tilted crop, degraded the way cameras do it.

Written as a crop-only set in the shared labels.csv format (empty boxes), like chile_night_crops.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from anpr.synth import effects
from anpr.synth._np import f32, u8
from anpr.synth.blend import warp_onto
from anpr.synth.labels import LabelRow, write_labels
from anpr.synth.plate import Layout, render_plate
from anpr.synth.texts import random_text
from anpr.types import Image

log = logging.getLogger(__name__)

MIN_WIDTH, MAX_WIDTH = 60, 400


@dataclass(frozen=True, slots=True)
class Crop:
    image: Image
    text: str
    format: str
    style: str
    effects: tuple[str, ...]


def _background(h: int, w: int, rng: random.Random) -> Image:
    """Bumper-ish surroundings: a car-paint colour with a vertical gradient."""
    base = np.array([rng.randint(10, 230) for _ in range(3)], np.float32)
    grad = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.2), h, dtype=np.float32)[:, None, None]
    return (np.ones((h, w, 3), np.float32) * base * grad).clip(0, 255).astype(np.uint8)


def make_crop(rng: random.Random) -> Crop:
    """One crop; everything random comes from `rng`."""
    layout: Layout = "moto" if rng.random() < 0.15 else "car"
    text, fmt = random_text(rng, layout)
    plate = render_plate(text, rng, layout=layout, px_per_mm=1.5)
    ph, pw = plate.image.shape[:2]
    mx, my = int(pw * 0.25), int(ph * 0.4)
    canvas = _background(ph + 2 * my, pw + 2 * mx, rng)
    j = 0.07
    quad = np.array(
        [
            (mx + rng.uniform(-j, j) * pw, my + rng.uniform(-j, j) * ph),
            (mx + pw + rng.uniform(-j, j) * pw, my + rng.uniform(-j, j) * ph),
            (mx + pw + rng.uniform(-j, j) * pw, my + ph + rng.uniform(-j, j) * ph),
            (mx + rng.uniform(-j, j) * pw, my + ph + rng.uniform(-j, j) * ph),
        ],
        np.float32,
    )
    warped, mask = warp_onto(canvas, plate.image, quad)
    a = mask[..., None]
    scene = (canvas * (1 - a) + warped * a).astype(np.uint8)
    # A loose crop around the plate, as a detector box would give (margins differ per side).
    x0 = quad[:, 0].min() - rng.uniform(0.0, 0.08) * pw
    x1 = quad[:, 0].max() + rng.uniform(0.0, 0.08) * pw
    y0 = quad[:, 1].min() - rng.uniform(0.0, 0.15) * ph
    y1 = quad[:, 1].max() + rng.uniform(0.0, 0.15) * ph
    box = (max(0, int(x0)), max(0, int(y0)), min(scene.shape[1], math.ceil(x1)), min(scene.shape[0], math.ceil(y1)))
    crop, cmask = scene[box[1] : box[3], box[0] : box[2]], mask[box[1] : box[3], box[0] : box[2]]
    # Log-uniform width: small plates are as common on the road as big ones are in close-ups.
    width = round(math.exp(rng.uniform(math.log(MIN_WIDTH), math.log(MAX_WIDTH))))
    height = max(8, round(crop.shape[0] * width / crop.shape[1]))
    img = u8(cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA))
    cmask = f32(cv2.resize(cmask, (width, height), interpolation=cv2.INTER_AREA))
    done: list[str] = []
    if rng.random() < 0.15:
        img = effects.night_ir(img, rng, cmask)
        done.append("night_ir")
    for name, p in (("glare", 0.1), ("motion_blur", 0.25), ("defocus", 0.3), ("rain", 0.1), ("noise", 0.5)):
        if rng.random() < p:
            fn = getattr(effects, name)
            img = fn(img, rng)
            done.append(name)
    if rng.random() < 0.2:
        img = effects.video_blocks(img, rng)
        done.append("video_blocks")
    elif rng.random() < 0.6:
        img = effects.jpeg(img, rng)
        done.append("jpeg")
    return Crop(img, text, fmt, plate.style, tuple(done))


def write_crops(out_dir: Path, n: int, seed: int) -> int:
    """Write `n` crops and labels.csv; crop i depends only on (seed, i)."""
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        crop = make_crop(random.Random(f"{seed}:crop:{i}"))
        name = f"images/synth_{i:06d}.jpg"
        if not cv2.imwrite(str(out_dir / name), crop.image, [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(f"cannot write {out_dir / name}")
        h, w = crop.image.shape[:2]
        notes = f"synth crop; format={crop.format}; style={crop.style}; effects={'+'.join(crop.effects) or 'none'}"
        rows.append(LabelRow(name, crop.text, None, w, h, "ok", "synth", notes))
        if (i + 1) % 1000 == 0:
            log.info("%d/%d crops", i + 1, n)
    return write_labels(out_dir / "labels.csv", rows)
