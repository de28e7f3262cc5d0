"""Detector training images: real photos whose labelled plates are replaced by rendered Chilean ones.

The scene, the car and the light stay real; only the plate changes. Each labelled box is erased
(inpainted), a Chilean plate of the right proportions is warped onto a quad centred where the old plate
was, matched to the old plate's light, blur and noise, and the new plate's box is written in the shared
labels.csv format (its four corners go in `notes`).
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from anpr.synth._np import u8
from anpr.synth.blend import Quad, erase_box, match_and_composite, ring, warp_onto
from anpr.synth.labels import Box, LabelRow, read_labels, write_labels
from anpr.synth.plate import Layout, render_plate
from anpr.synth.texts import random_text
from anpr.types import Image

log = logging.getLogger(__name__)

MAX_SIDE = 960
JPEG_QUALITY = 90
_SKIP_NOTE = "FLAG_huge_box_check"  # openimages_world boxes its README says may be bad labels


@dataclass(frozen=True, slots=True)
class Placed:
    text: str
    format: str
    style: str
    box: Box
    corners: tuple[tuple[float, float], ...]


def layout_for_box(box: Box) -> Layout:
    """Near-square boxes get the two-row motorcycle plate, the rest a car plate."""
    w, h = box[2] - box[0], box[3] - box[1]
    return "moto" if w < 1.7 * h else "car"


def plate_quad(box: Box, aspect: float, rng: random.Random) -> Quad:
    """Where the new plate goes: centred on the old one, Chilean proportions, a little yaw and roll.

    The old plate may be longer (EU 520 mm) or squarer (US) than ours; we keep its height unless that
    makes the plate much wider than the old one, so it covers the same part of the car.
    """
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    nh = h * rng.uniform(1.05, 1.25)
    nw = nh * aspect * rng.uniform(0.86, 1.0)  # yaw foreshortens the width
    if nw > w * 1.1:
        nh, nw = nh * w * 1.1 / nw, w * 1.1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    k = rng.uniform(-0.05, 0.05)  # one side nearer the camera than the other
    s = rng.uniform(-0.06, 0.06) * nh  # roll
    return np.array(
        [
            (cx - nw / 2, cy - nh / 2 * (1 + k) - s),
            (cx + nw / 2, cy - nh / 2 * (1 - k) + s),
            (cx + nw / 2, cy + nh / 2 * (1 - k) + s),
            (cx - nw / 2, cy + nh / 2 * (1 + k) - s),
        ],
        np.float32,
    )


def replace_plates(image: Image, boxes: Sequence[Box], rng: random.Random) -> tuple[Image, list[Placed]]:
    """Replace the plate in each box by a rendered Chilean plate; returns the image and what was placed."""
    out = image.copy()
    h, w = image.shape[:2]
    placed: list[Placed] = []
    for box in boxes:
        layout = layout_for_box(box)
        text, fmt = random_text(rng, layout)
        plate = render_plate(text, rng, layout=layout, px_per_mm=2.0)
        aspect = plate.image.shape[1] / plate.image.shape[0]
        quad = plate_quad(box, aspect, rng)
        reference = image[box[1] : box[3], box[0] : box[2]]
        background = ring(image, box)
        out = erase_box(out, box, grow=max(2, round((box[3] - box[1]) * 0.08)))
        warped, mask = warp_onto(out, plate.image, quad)
        out = match_and_composite(out, warped, mask, reference, rng, noise_ref=background)
        qx, qy = np.clip(quad[:, 0], 0, w), np.clip(quad[:, 1], 0, h)
        new_box = (int(np.floor(qx.min())), int(np.floor(qy.min())), int(np.ceil(qx.max())), int(np.ceil(qy.max())))
        corners = tuple((float(x), float(y)) for x, y in quad)
        placed.append(Placed(text, fmt, plate.style, new_box, corners))
    return out, placed


def _images_with_boxes(set_dir: Path) -> Iterator[tuple[str, list[Box]]]:
    by_file: dict[str, list[Box]] = defaultdict(list)
    flagged: set[str] = set()
    for row in read_labels(set_dir / "labels.csv"):
        if _SKIP_NOTE in row.notes:
            flagged.add(row.file)
        if row.box is not None:
            by_file[row.file].append(row.box)
    for file in sorted(by_file):
        if file not in flagged:
            yield file, by_file[file]


def _fit(image: Image, placed: list[Placed]) -> tuple[Image, list[Placed]]:
    """Scale so the longest side is at most MAX_SIDE; boxes and corners follow."""
    scale = min(1.0, MAX_SIDE / max(image.shape[:2]))
    if scale >= 1.0:
        return image, placed
    small = u8(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    return small, [
        Placed(
            p.text,
            p.format,
            p.style,
            (
                int(p.box[0] * scale),
                int(p.box[1] * scale),
                int(np.ceil(p.box[2] * scale)),
                int(np.ceil(p.box[3] * scale)),
            ),
            tuple((x * scale, y * scale) for x, y in p.corners),
        )
        for p in placed
    ]


def overlay_sets(src_dirs: Sequence[Path], out_dir: Path, per_image: int, seed: int) -> int:
    """Build an overlay set from shared-format sets; returns the number of images written.

    Each output image has its own generator seeded from (seed, set, file, k), so a re-run, or a run
    over a different list of sets, gives identical bytes for the same image.
    """
    from anpr.train.leakage import refuse_eval_images

    for set_dir in src_dirs:
        if "/eval/" in f"/{set_dir.resolve().as_posix()}/":
            raise ValueError(f"{set_dir} is an evaluation set: never train on it")
        if not (set_dir / "labels.csv").is_file():
            raise FileNotFoundError(f"{set_dir}/labels.csv not found: not a shared-format set")
    todo = [(set_dir, list(_images_with_boxes(set_dir))) for set_dir in src_dirs]
    if todo:  # no eval photo, copied or re-encoded into a train set, becomes a training image
        refuse_eval_images((d / file for d, images in todo for file, _ in images), todo[0][0].parent)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    rows: list[LabelRow] = []
    written = 0
    for set_dir, images in todo:
        for file, boxes in images:
            raw = cv2.imread(str(set_dir / file), cv2.IMREAD_COLOR)
            if raw is None:
                log.warning("cannot read %s, skipped", set_dir / file)
                continue
            image = u8(raw)
            h, w = image.shape[:2]
            boxes = [(max(0, b[0]), max(0, b[1]), min(w, b[2]), min(h, b[3])) for b in boxes]
            boxes = [b for b in boxes if b[2] - b[0] >= 8 and b[3] - b[1] >= 4]
            if not boxes:
                continue
            for k in range(per_image):
                rng = random.Random(f"{seed}:{set_dir.name}:{file}:{k}")
                result, placed = _fit(*replace_plates(image, boxes, rng))
                name = f"images/{set_dir.name}_{Path(file).stem}_{k:02d}.jpg"
                ok = cv2.imwrite(str(out_dir / name), result, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if not ok:
                    raise OSError(f"cannot write {out_dir / name}")
                written += 1
                for p in placed:
                    corners = " ".join(f"{x:.1f},{y:.1f}" for x, y in p.corners)
                    rows.append(
                        LabelRow(
                            name,
                            p.text,
                            p.box,
                            result.shape[1],
                            result.shape[0],
                            "ok",
                            f"{set_dir.name}/{file}",
                            f"synth overlay; format={p.format}; style={p.style}; corners={corners}",
                        )
                    )
        log.info("%s: %d images so far", set_dir.name, written)
    write_labels(out_dir / "labels.csv", rows)
    return written
