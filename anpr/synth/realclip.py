"""A real-footage proxy clip: labelled photos of one fixed camera played one after another as traffic.

Each labelled vehicle's photos (a set's rows sharing a plate text, in file order: a gate camera's frames
of one approach) fill a 1 s approach at 25 fps, each photo zoomed a little over its share so no two frames
are the same, letterboxed into 1280x720; between vehicles `gap` seconds of empty road (a dark frame). A
truth sidecar in the format `anpr replay --truth` scores goes with it. Photos are read, never copied.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anpr.plates.chile import parse
from anpr.synth.videos import encode
from anpr.types import Image

WIDTH, HEIGHT, FPS = 1280, 720, 25
APPROACH_S = 1.0
_ZOOM = 0.06  # each photo grows by this share over its frames: a car coming on, and no frozen frames


@dataclass(slots=True)
class _Vehicle:
    text: str
    photos: list[tuple[Path, tuple[int, int, int, int]]] = field(default_factory=list)


def read_set(folder: Path) -> list[_Vehicle]:
    """The vehicles of a shared-format set (labels.csv with boxes; rows of quality `ok`), in file order."""
    labels = folder / "labels.csv"
    if not labels.is_file():
        raise ValueError(f"{labels}: not found (a set folder holds images/ and labels.csv)")
    vehicles: dict[str, _Vehicle] = {}
    with labels.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text, quality = (row.get("plate_text") or "").strip().upper(), row.get("quality", "ok")
            try:
                box = (int(row["x1"]), int(row["y1"]), int(row["x2"]), int(row["y2"]))
            except (KeyError, ValueError):
                continue  # a crop or a row without a box
            if not text or quality != "ok" or not parse(text).valid:
                continue
            vehicles.setdefault(text, _Vehicle(text)).photos.append((folder / row["file"], box))
    for v in vehicles.values():
        v.photos.sort()
    if not vehicles:
        raise ValueError(f"{labels}: no row with a valid plate text, a box and quality ok")
    return list(vehicles.values())


def _letterbox(photo: Image, zoom: float) -> tuple[Image, float, float, float]:
    """`photo` scaled to fit 1280x720 times `zoom` about its centre; returns the frame and x' = a*x + bx,
    y' = a*y + by."""
    h, w = photo.shape[:2]
    a = min(WIDTH / w, HEIGHT / h) * zoom
    bx, by = (WIDTH - a * w) / 2, (HEIGHT - a * h) / 2
    m = np.array([[a, 0, bx], [0, a, by]], np.float64)
    frame = cv2.warpAffine(photo, m, (WIDTH, HEIGHT), flags=cv2.INTER_AREA, borderValue=(0, 0, 0))
    return np.asarray(frame, np.uint8), a, bx, by


def frames(
    vehicles: list[_Vehicle], gap: tuple[float, float], seed: int
) -> Iterator[tuple[Image, str | None, list[int] | None]]:
    """Each frame, the plate in it and its box (None on empty road)."""
    rng = random.Random(seed)
    empty = np.full((HEIGHT, WIDTH, 3), 40, np.uint8)
    per_vehicle = round(APPROACH_S * FPS)
    for v in vehicles:
        images = []
        for path, box in v.photos:
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError(f"{path}: not a readable image")
            images.append((np.asarray(img, np.uint8), box))
        for i in range(per_vehicle):
            k = min(i * len(images) // per_vehicle, len(images) - 1)
            share = per_vehicle / len(images)
            zoom = 1.0 - _ZOOM + _ZOOM * ((i - k * share) / share)
            frame, a, bx, by = _letterbox(images[k][0], zoom)
            x1, y1, x2, y2 = images[k][1]
            yield frame, v.text, [round(a * x1 + bx), round(a * y1 + by), round(a * x2 + bx), round(a * y2 + by)]
        for _ in range(round(rng.uniform(*gap) * FPS)):
            yield empty, None, None


def build(photos: Path, gap: tuple[float, float], out: Path, seed: int = 0) -> tuple[Path, Path, int]:
    """Write `out` (H.264) and `out`.truth.json; returns their paths and the number of vehicles."""
    vehicles = read_set(photos)
    boxes: dict[str, list[dict[str, object]]] = {v.text: [] for v in vehicles}

    def video() -> Iterator[Image]:
        for i, (frame, text, box) in enumerate(frames(vehicles, gap, seed)):
            if text is not None and box is not None:
                boxes[text].append({"frame": i, "box": box})
            yield frame

    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        n = encode(video(), out, WIDTH, HEIGHT, FPS)
    except BaseException:
        out.unlink(missing_ok=True)  # no half-written clip left behind
        raise
    doc = {
        "clip": out.name,
        "width": WIDTH,
        "height": HEIGHT,
        "fps": FPS,
        "frame_count": n,
        "notes": f"real photos of {photos} played as traffic: each vehicle's photos a {APPROACH_S:g} s approach, "
        f"{gap[0]:g}-{gap[1]:g} s of empty road between vehicles",
        "box_rule": "the labelled plate box of the photo shown, in frame pixels",
        "plates": [
            {
                "text": v.text,
                "format": parse(v.text).format,
                "expect": "none",
                "first_frame": boxes[v.text][0]["frame"],
                "last_frame": boxes[v.text][-1]["frame"],
                "frames_visible": len(boxes[v.text]),
                "boxes": boxes[v.text],
            }
            for v in vehicles
        ],
    }
    truth = out.with_suffix(".truth.json")
    truth.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return out, truth, len(vehicles)


def parse_gap(text: str) -> tuple[float, float]:
    """`0.2-0.5` (uniform in the range) or `1.6`; seconds, 0-10."""
    try:
        lo, _, hi = text.partition("-")
        gap = (float(lo), float(hi or lo))
    except ValueError:
        raise ValueError(f"--gap {text!r}: give seconds, e.g. 1.6 or 0.2-0.5") from None
    if not 0 <= gap[0] <= gap[1] <= 10:
        raise ValueError(f"--gap {text!r}: want 0 <= low <= high <= 10 seconds")
    return gap
