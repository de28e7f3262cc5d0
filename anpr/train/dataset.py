"""Turn labelled sets in the shared format (`labels.csv` + `images/`) into an ultralytics YOLO dataset.

The output folder is self-contained and movable (it travels to a GPU machine): `data.yaml` has no
`path:` key, so ultralytics resolves `images/train` and `images/val` next to the yaml file itself.
Images are re-encoded as JPEG q90 with the longest side capped, which keeps the folder small.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anpr.train.leakage import refuse_eval_images

log = logging.getLogger(__name__)

DEFAULT_TRAIN_ROOT = Path("../shared/plates/train")
VAL_BUCKETS = 1
"""Images whose key hashes to bucket < VAL_BUCKETS (of 10) go to val: a fixed 90/10 split."""

VAL_RIDES = frozenset({"ro_dayride_type1_002"})
"""romania_dashcam is split by ride: consecutive frames are near-duplicates, so a frame-level split
(its `notes` column: every ride has frames in both) would leak val into train. This day ride is ~8 %."""

DROP_FILES = frozenset({"images/oi_24eb16b34811d74a.jpg"})
"""openimages_world rows flagged FLAG_huge_box_check were looked at one by one: 16 of 17 are genuine
close-ups of a plate filling the photo (kept: they teach large plates); this one boxes a yellow
"SCHOOL BUS" sign, not a plate (dropped)."""

_RIDE = re.compile(r"^(ro_[a-z]+ride_[a-z0-9]+_\d+)_mp4_t_\d+")


@dataclass
class BuildReport:
    images: Counter[str] = field(default_factory=Counter)
    boxes: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    bytes: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "images": dict(self.images),
            "boxes": dict(self.boxes),
            "skipped": dict(self.skipped),
            "bytes": self.bytes,
        }


@dataclass(frozen=True)
class _Item:
    set_name: str
    file: str
    split_key: str
    boxes: tuple[tuple[float, float, float, float], ...]


def split_of(split_key: str) -> str:
    """ "train" or "val" for a split key (a file's base name, or a dashcam ride): fixed forever."""
    name = Path(split_key).name
    ride = _RIDE.match(name)
    if ride:
        return "val" if ride.group(1) in VAL_RIDES else "train"
    bucket = int(hashlib.sha1(Path(name).stem.encode()).hexdigest(), 16) % 10
    return "val" if bucket < VAL_BUCKETS else "train"


def _box(row: dict[str, str]) -> tuple[float, float, float, float] | None:
    try:
        x1, y1, x2, y2 = (float(row[k]) for k in ("x1", "y1", "x2", "y2"))
    except (KeyError, ValueError, TypeError):
        return None  # crop-only row or no box drawn
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def read_set(set_dir: Path, follow_source: bool = False) -> list[_Item]:
    """Images of one set that have at least one box.

    With `follow_source` (synthetic sets made from real photos), an image is split by the base name of
    its `source_path`, i.e. with the photo it was made from, so a val photo never reaches train in disguise.
    """
    by_file: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    keys: dict[str, str] = {}
    with (set_dir / "labels.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            file = row["file"]
            if file in DROP_FILES:
                continue
            box = _box(row)
            if box is None:
                continue
            by_file[file].append(box)
            source = (row.get("source_path") or "").strip()
            keys[file] = Path(source).name if follow_source and source else file
    return [_Item(set_dir.name, f, keys[f], tuple(b)) for f, b in sorted(by_file.items())]


def _write_image(src: Path, dst: Path, max_side: int, quality: int) -> tuple[float, int, int] | None:
    """Write `src` to `dst` (format by its suffix: .jpg or .webp); returns (scale, width, height) written."""
    import cv2

    img = cv2.imread(str(src), cv2.IMREAD_COLOR)
    if img is None:
        return None
    h, w = img.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    webp = dst.suffix == ".webp"
    params = [cv2.IMWRITE_WEBP_QUALITY if webp else cv2.IMWRITE_JPEG_QUALITY, quality]
    ok, buf = cv2.imencode(dst.suffix, img, params)
    if not ok:
        return None
    data = buf.tobytes()
    original = src.read_bytes()
    # An already small JPEG is kept as it is when that is smaller: re-encoding only adds loss.
    if not webp and scale == 1.0 and original[:2] == b"\xff\xd8" and len(original) < len(data):
        data = original
    dst.write_bytes(data)
    return scale, img.shape[1], img.shape[0]


def yolo_lines(boxes: Iterable[tuple[float, float, float, float]], scale: float, w: int, h: int) -> list[str]:
    """YOLO label lines (class cx cy w h, normalised) for pixel boxes of the original image."""
    lines = []
    for x1, y1, x2, y2 in boxes:
        x1, x2 = max(0.0, x1 * scale), min(float(w), x2 * scale)
        y1, y2 = max(0.0, y1 * scale), min(float(h), y2 * scale)
        if x2 - x1 < 2 or y2 - y1 < 2:  # degenerate or outside the image
            continue
        lines.append(f"0 {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
    return lines


def default_sets(train_root: Path = DEFAULT_TRAIN_ROOT) -> list[Path]:
    return sorted(p for p in train_root.iterdir() if (p / "labels.csv").is_file())


def build_dataset(
    out: Path,
    sets: Sequence[Path],
    extra: Sequence[Path] = (),
    max_side: int = 640,
    quality: int = 75,
    image_format: str = "webp",
    extra_max_side: int | None = None,
    extra_every: int = 1,
) -> BuildReport:
    """Write the YOLO dataset to `out` (replaced if it exists). Refuses any set under an `eval` folder, and
    any image that is an eval image copied or re-encoded into a train set (`anpr.train.leakage`).

    Extra (synthetic) sets go to train only: an image made from a val photo is left out, so val stays
    real photographs and nothing of a val photo is trained on. `extra_max_side` caps their size apart
    (they are most of the bytes that travel to the GPU box); `extra_every` keeps every n-th of their images.
    """
    for s in [*sets, *extra]:
        if "eval" in s.resolve().parts:
            raise ValueError(f"{s}: evaluation sets are for measuring only, never for training")
    planned = [
        (s, follow, read_set(s, follow_source=follow))
        for s, follow in [*((s, False) for s in sets), *((s, True) for s in extra)]
    ]
    if planned:  # before anything is written: no eval image, copied or re-encoded, in any set
        refuse_eval_images((s / i.file for s, _, items in planned for i in items), planned[0][0].parent)
    if out.exists():
        shutil.rmtree(out)
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True)
        (out / "labels" / split).mkdir(parents=True)
    report = BuildReport()
    for set_dir, follow, items in planned:
        log.info("%s: %d images with boxes", set_dir.name, len(items))
        if follow and extra_every > 1:
            report.skipped[f"{set_dir.name}/thinned"] += len(items) - len(items[::extra_every])
            items = items[::extra_every]
        for item in items:
            split = split_of(item.split_key)
            if follow and split == "val":
                report.skipped[f"{item.set_name}/val-source"] += 1
                continue
            stem = f"{item.set_name}__{Path(item.file).stem}"
            dst = out / "images" / split / f"{stem}.{image_format}"
            side = extra_max_side if follow and extra_max_side else max_side
            written = _write_image(set_dir / item.file, dst, side, quality)
            if written is None:
                log.warning("%s/%s: unreadable image, skipped", item.set_name, item.file)
                report.skipped[item.set_name] += 1
                continue
            lines = yolo_lines(item.boxes, *written)
            (out / "labels" / split / f"{stem}.txt").write_text("".join(s + "\n" for s in lines))
            report.images[f"{item.set_name}/{split}"] += 1
            report.boxes[f"{item.set_name}/{split}"] += len(lines)
    (out / "data.yaml").write_text(
        "# Paths are relative to this file: no `path:` key, so pass this yaml's absolute path to ultralytics.\n"
        "train: images/train\nval: images/val\nnames:\n  0: plate\n"
    )
    report.bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "max_side": max_side,
                "extra_max_side": extra_max_side,
                "extra_every": extra_every,
                "format": image_format,
                "quality": quality,
                **report.as_dict(),
            },
            indent=2,
        )
        + "\n"
    )
    return report
