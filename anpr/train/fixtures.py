"""The committed test inputs of the detector and eval tests (`anpr train detector-test-data`).

A rendered Chilean plate on a car-ish rear, on a road (tests/data/detector_plate.{jpg,json}), and
tests/data/eval_tiny, four images whose detection figures are known by construction. Deterministic
(seeded); rebuild only when the renderer changes, then check the detector and eval tests still pass.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import cv2
import numpy as np

from anpr.synth.plate import render_plate
from anpr.types import Image

Box = tuple[int, int, int, int]


def plate_image(text: str, seed: int, plate_w: int) -> Image:
    plate = render_plate(text, random.Random(seed), worn=False).image
    ph = round(plate.shape[0] * plate_w / plate.shape[1])
    return np.asarray(cv2.resize(plate, (plate_w, ph), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def scene(text: str | None, seed: int, plate_w: int) -> tuple[Image, Box]:
    """A 640x480 road scene with a car rear; its plate (if `text`) centred low on the car."""
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    img = np.empty((h, w, 3), np.uint8)
    img[: h // 3] = (200, 180, 160)  # sky
    ramp = np.linspace(70, 110, h - h // 3, dtype=np.float32)[:, None, None]
    img[h // 3 :] = np.clip(ramp + rng.normal(0, 6, (h - h // 3, w, 1)), 0, 255).astype(np.uint8)  # asphalt
    cv2.rectangle(img, (150, 140), (490, 420), (40, 40, 150), -1)  # car rear
    cv2.rectangle(img, (180, 160), (460, 250), (60, 50, 40), -1)  # rear window
    cv2.rectangle(img, (160, 270), (220, 300), (20, 20, 220), -1)  # tail lights
    cv2.rectangle(img, (420, 270), (480, 300), (20, 20, 220), -1)
    ph = round(plate_w * 130 / 360)  # Chilean plate 360 x 130 mm
    x1, y1 = 320 - plate_w // 2, 330
    if text:
        plate = plate_image(text, seed, plate_w)
        ph = plate.shape[0]
        img[y1 : y1 + ph, x1 : x1 + plate_w] = plate
    return img, (x1, y1, x1 + plate_w, y1 + ph)


def eval_tiny(out: Path) -> None:
    """4 images whose detection figures are known by construction (see tests/evaluate/test_eval_cli.py):
    a.jpg one labelled plate (TP); b.jpg two plates, one labelled (TP + FP); c.jpg a labelled box where
    no plate is (FN); d.jpg a bare plate crop without a box (reader only)."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    rows = ["file,plate_text,x1,y1,x2,y2,quality"]
    a, box_a = scene("HJKL23", 11, 150)
    b, box_b = scene("PRST45", 12, 140)
    extra = plate_image("WXYZ67", 13, 120)
    b[40 : 40 + extra.shape[0], 480 : 480 + extra.shape[1]] = extra  # an unlabelled plate: a false positive
    c, box_c = scene(None, 14, 150)
    d = plate_image("BCDF89", 15, 200)
    for name, img in (("a", a), ("b", b), ("c", c), ("d", d)):
        cv2.imwrite(str(out / "images" / f"{name}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    rows.append("images/a.jpg,HJKL23,{},{},{},{},ok".format(*box_a))
    rows.append("images/b.jpg,PRST45,{},{},{},{},ok".format(*box_b))
    rows.append("images/c.jpg,GGHH11,{},{},{},{},uncertain".format(*box_c))
    rows.append("images/d.jpg,BCDF89,,,,,ok")
    (out / "labels.csv").write_text("\n".join(rows) + "\n")


def write_detector_test_data(out: Path) -> tuple[Path, Box]:
    """out/detector_plate.{jpg,json} and out/eval_tiny; (the scene's path, its plate box)."""
    img, box = scene("GKSB78", 7, 150)
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "detector_plate.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    (out / "detector_plate.json").write_text(json.dumps({"text": "GKSB78", "box": list(box)}) + "\n")
    eval_tiny(out / "eval_tiny")
    return out / "detector_plate.jpg", box
