"""What the recognizer trains on: the strips of recognizer-data folders as one uint8 tensor (to sit on the
device), a train/validation split by source image, and camera-like augmentation done batch by batch on the
device, so a GPU is never starved by a data loader.

Needs only torch, numpy and cv2: part of the self-contained trainer (`anpr.train.recognizer`).
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from anpr.train.recognizer_model import ALPHABET

PAD = 128
"""Grey of the right padding (the reader pads the same way: anpr.ocr.crnn.PAD)."""


@dataclass(frozen=True)
class Data:
    images: torch.Tensor  # N×H×W uint8, right-padded with PAD
    targets: list[list[int]]
    texts: list[str]
    real: torch.Tensor  # N bool: a real photo crop (oversampled), else rendered
    groups: list[str]  # samples of one source image share a group (never split across train/val)
    manifest: dict[str, Any]


def load_data(root: Path, max_samples: int | None = None) -> Data:
    """Reads the sheets and labels.csv of a recognizer-data folder."""
    manifest = json.loads((root / "manifest.json").read_text())
    height, width = int(manifest["height"]), int(manifest["width"])
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if max_samples is not None:
        rows = rows[:max_samples]
    sheets: dict[str, np.ndarray] = {}
    images = np.full((len(rows), height, width), PAD, dtype=np.uint8)
    for i, r in enumerate(rows):
        if r["sheet"] not in sheets:
            img = cv2.imread(str(root / r["sheet"]), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise OSError(f"cannot read {root / r['sheet']}")
            sheets[r["sheet"]] = img
        k, w = int(r["row"]), int(r["width"])
        images[i, :, :w] = sheets[r["sheet"]][k * height : (k + 1) * height, :w]
    texts = [r["text"] for r in rows]
    bad = [t for t in texts if not t or any(c not in ALPHABET for c in t)]
    if bad:
        raise ValueError(f"{len(bad)} labels outside A-Z0-9, e.g. {bad[0]!r}")
    return Data(
        torch.from_numpy(images),
        [[ALPHABET.index(c) + 1 for c in t] for t in texts],
        texts,
        torch.tensor([r["source"] != "synth" for r in rows]),
        [r["group"] for r in rows],
        manifest,
    )


def merge(parts: list[Data]) -> Data:
    """One data set from several folders of the same strip size (e.g. rendered + real)."""
    if len(parts) == 1:
        return parts[0]
    shapes = {tuple(p.images.shape[1:]) for p in parts}
    if len(shapes) != 1:
        raise ValueError(f"data folders have different strip sizes: {sorted(shapes)}")
    return Data(
        torch.cat([p.images for p in parts]),
        [t for p in parts for t in p.targets],
        [t for p in parts for t in p.texts],
        torch.cat([p.real for p in parts]),
        [g for p in parts for g in p.groups],
        {"parts": [p.manifest for p in parts]},
    )


def split(data: Data, val_frac: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Train and validation indices; all samples of a source image fall on the same side."""
    groups = sorted(set(data.groups))
    random.Random(seed).shuffle(groups)
    val_groups = set(groups[: max(1, round(len(groups) * val_frac))])
    is_val = torch.tensor([g in val_groups for g in data.groups])
    return torch.nonzero(~is_val).squeeze(1), torch.nonzero(is_val).squeeze(1)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random camera-like changes to a N×1×H×W batch in [0, 1], on its device: small affine jitter
    (crop/scale/tilt), resolution loss, blur, contrast/brightness/gamma, sensor noise."""
    n, _, h, w = x.shape
    dev = x.device

    def u(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return torch.rand(shape or (n,), generator=gen, device=dev) * (hi - lo) + lo

    scale, rot, shear = u(0.9, 1.08), u(-0.05, 0.05), u(-0.15, 0.15)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = scale * torch.cos(rot)
    theta[:, 0, 1] = -torch.sin(rot) * h / w + shear * h / w
    theta[:, 1, 0] = torch.sin(rot) * w / h
    theta[:, 1, 1] = scale * u(0.9, 1.1) * torch.cos(rot)
    theta[:, 0, 2], theta[:, 1, 2] = u(-0.06, 0.06), u(-0.1, 0.1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # resolution loss: down to 35-100 % and back up (far plates), on a random half of the batch
    f = float(u(0.35, 1.0, 1))
    low = F.interpolate(F.interpolate(x, scale_factor=f, mode="area"), size=(h, w), mode="bilinear")
    x = torch.where(u(0, 1).view(n, 1, 1, 1) < 0.5, low, x)
    # per-sample gaussian blur (sigma 0.1-1.3) as a grouped separable convolution
    sigma = u(0.1, 1.3)
    k = torch.arange(-3, 4, device=dev, dtype=x.dtype)
    kern = torch.exp(-(k[None] ** 2) / (2 * sigma[:, None] ** 2))
    kern = (kern / kern.sum(1, keepdim=True)).view(n, 1, 1, 7)
    y = F.conv2d(F.pad(x.view(1, n, h, w), (3, 3, 0, 0), mode="replicate"), kern, groups=n)
    y = F.conv2d(F.pad(y, (0, 0, 3, 3), mode="replicate"), kern.transpose(2, 3), groups=n).view(n, 1, h, w)
    x = torch.where(u(0, 1).view(n, 1, 1, 1) < 0.4, y, x)
    mean = x.mean(dim=(2, 3), keepdim=True)
    x = (x - mean) * u(0.5, 1.4).view(n, 1, 1, 1) + mean + u(-0.2, 0.2).view(n, 1, 1, 1)
    x = x.clamp(0, 1) ** u(0.6, 1.6).view(n, 1, 1, 1)
    x = x + torch.randn(x.shape, generator=gen, device=dev) * u(0.0, 0.08).view(n, 1, 1, 1)
    return x.clamp(0, 1)


def normalize(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] → the reader's input scale, (x - 0.5) / 0.5."""
    return (x - 0.5) / 0.5
