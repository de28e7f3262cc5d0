"""Run a detector and/or reader over a labelled folder (shared labels format), image by image."""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from anpr.detect.base import Detector
from anpr.evaluate.metrics import GtPlate, ImageResult, edit_ops, match_boxes
from anpr.ocr.base import Reader
from anpr.track.boxes import Box
from anpr.types import Detection, Image, PlateRead

log = logging.getLogger(__name__)

UnboxedMode = Literal["auto", "crop", "detect"]
CROP_MAX_SIDE = 256
CROP_MIN_ASPECT = 1.8
"""In `auto` mode an unboxed image this small (longest side, px) and at least this wide for its height
is taken to be a plate crop; anything else (a small photo of a whole car, say) is detected first."""


class LabelsError(Exception):
    """labels.csv is missing or malformed; the message names the file and the row."""


@dataclass(frozen=True, slots=True)
class LabelledImage:
    file: str
    plates: tuple[GtPlate, ...]


def _box(row: dict[str, str], where: str) -> Box | None:
    vals = [(row.get(k) or "").strip() for k in ("x1", "y1", "x2", "y2")]
    if not any(vals):
        return None
    try:
        x1, y1, x2, y2 = (float(v) for v in vals)
    except ValueError:
        raise LabelsError(f"{where}: box values {vals} are not all numbers") from None
    if x2 <= x1 or y2 <= y1:
        raise LabelsError(f"{where}: box {vals} has no area (need x2 > x1 and y2 > y1)")
    return (x1, y1, x2, y2)


def load_labels(path: Path) -> list[LabelledImage]:
    """Rows grouped by image, in file order (one row per plate)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or "file" not in reader.fieldnames:
                raise LabelsError(f"{path}: first column must be `file` (see the shared labels format)")
            grouped: dict[str, list[GtPlate]] = {}
            for n, row in enumerate(reader, start=2):
                text = (row.get("plate_text") or "").strip().upper()
                grouped.setdefault(row["file"], []).append(
                    GtPlate(text=text, box=_box(row, f"{path}:{n}"), quality=(row.get("quality") or "").strip())
                )
    except OSError as err:
        raise LabelsError(f"{path}: cannot read labels ({err})") from None
    return [LabelledImage(f, tuple(p)) for f, p in grouped.items()]


def _whole(image: Image) -> Detection:
    h, w = image.shape[:2]
    return Detection(box=(0.0, 0.0, float(w), float(h)), score=1.0)


def _assign(gt: tuple[GtPlate, ...], reads: list[PlateRead]) -> dict[int, PlateRead | None]:
    """Unboxed plates: the k most confident reads go to the k plates, each to the closest text."""
    wanted = [i for i, g in enumerate(gt) if g.text]
    pool = sorted(reads, key=lambda r: -r.confidence)[: len(wanted)]
    out: dict[int, PlateRead | None] = {}
    for gi in wanted:
        if not pool:
            out[gi] = None
            continue
        best = min(pool, key=lambda r: edit_ops(gt[gi].text, r.text)[0])
        pool.remove(best)
        out[gi] = best
    return out


def evaluate_images(
    root: Path,
    images: list[LabelledImage],
    detector: Detector | None,
    reader: Reader | None,
    unboxed: UnboxedMode = "auto",
) -> Iterator[ImageResult]:
    """Yield one result per image. Boxed images: detect, match at IoU 0.5, read each matched detection.
    Unboxed images: a plate-shaped crop is read whole; any other photo is detected and its most confident
    reads kept (the whole image as the fallback when no detection gives a read)."""
    import cv2
    import numpy as np

    for item in images:
        loaded = cv2.imread(str(root / item.file), cv2.IMREAD_COLOR)
        if loaded is None:
            log.warning("%s: unreadable image (missing, or not an image OpenCV decodes), not scored", root / item.file)
            yield ImageResult(item.file, item.plates, None, {}, {}, 0.0, unreadable=True)
            continue
        image: Image = np.asarray(loaded, dtype=np.uint8)
        boxed = any(g.box is not None for g in item.plates)
        h, w = image.shape[:2]
        plate_like = max(h, w) <= CROP_MAX_SIDE and w >= CROP_MIN_ASPECT * h
        as_crop = not boxed and (detector is None or unboxed == "crop" or (unboxed == "auto" and plate_like))
        t0 = time.perf_counter()
        dets: list[Detection] | None = None if as_crop or detector is None else detector.detect(image)
        matches: dict[int, tuple[int, float]] = {}
        reads: dict[int, PlateRead | None] = {}
        if boxed and dets is not None:
            gt_idx = [i for i, g in enumerate(item.plates) if g.box is not None]
            m = match_boxes([item.plates[i].box for i in gt_idx], [d.box for d in dets])  # type: ignore[misc]
            matches = {gt_idx[g]: v for g, v in m.items()}
            if reader is not None:
                for gi, g in enumerate(item.plates):
                    if g.text:
                        hit = matches.get(gi)
                        reads[gi] = reader.read(image, dets[hit[0]]) if hit else None
        elif boxed and reader is not None:  # no detector: score the reader alone on the labelled boxes
            for gi, g in enumerate(item.plates):
                if g.text and g.box is not None:
                    reads[gi] = reader.read(image, Detection(box=g.box, score=1.0))
        elif reader is not None:
            found = [r for r in (reader.read(image, d) for d in dets or []) if r is not None]
            if not found:  # a close-up the detector does not see as a plate: read the photo whole
                whole = reader.read(image, _whole(image))
                found = [whole] if whole is not None else []
            reads = _assign(item.plates, found)
        ms = (time.perf_counter() - t0) * 1000.0
        yield ImageResult(
            file=item.file,
            gt=item.plates,
            n_detections=None if dets is None else len(dets),
            matches=matches,
            reads=reads,
            ms=ms,
        )
