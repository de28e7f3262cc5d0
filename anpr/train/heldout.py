"""The detector's held-out train photos as a labelled folder (`anpr train heldout --out DIR`).

The detector trains on the train split of `../shared/plates/train` (`anpr.train.dataset.split_of`: a fixed
90/10 split by source photo, romania_dashcam by ride); the other 10 % are real photos it never saw. This
writes exactly those, one row per labelled box in the shared labels format, so `anpr eval DIR --no-reader`
measures detection on them. Plate text and quality are kept where the set has them; the sets without text
(romania_dashcam, openimages_world) are scored for detection only. Images are not copied: each set folder
is linked into DIR (paths in labels.csv are `SET/images/...`).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from anpr.train.dataset import read_set, split_of

log = logging.getLogger(__name__)

COLUMNS = ("file", "plate_text", "x1", "y1", "x2", "y2", "quality")


class HeldOutError(ValueError):
    """The held-out folder cannot be written (an eval folder given, a set without labels, a link in the way)."""


@dataclass(frozen=True, slots=True)
class HeldOutRow:
    set_name: str
    file: str
    text: str
    box: tuple[float, float, float, float]
    quality: str


def _texts(set_dir: Path) -> dict[tuple[str, tuple[float, ...]], tuple[str, str]]:
    """(file, box) -> (plate text, quality) of a set's labelled rows."""
    out = {}
    with (set_dir / "labels.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                box = tuple(float(row[k]) for k in ("x1", "y1", "x2", "y2"))
            except (KeyError, TypeError, ValueError):
                continue
            text = (row.get("plate_text") or "").strip().upper()
            out[row["file"], box] = (text, (row.get("quality") or "").strip())
    return out


def heldout_rows(train_root: Path, sets: Sequence[str]) -> list[HeldOutRow]:
    """Every labelled box of the val split of `sets`, in set then file order (the same images and boxes
    `anpr train dataset` puts under images/val)."""
    if "eval" in train_root.resolve().parts:
        raise HeldOutError(f"{train_root}: an eval folder; the held-out split is cut from the train sets")
    rows = []
    for name in sets:
        set_dir = train_root / name
        if not (set_dir / "labels.csv").is_file():
            raise HeldOutError(f"{set_dir}: no labels.csv; check --train-root and the set names")
        texts = _texts(set_dir)
        for item in read_set(set_dir):
            if split_of(item.split_key) != "val":
                continue
            for box in item.boxes:
                text, quality = texts.get((item.file, box), ("", ""))
                rows.append(HeldOutRow(name, item.file, text, box, quality))
    return rows


def write_heldout(train_root: Path, sets: Sequence[str], out: Path) -> dict[str, int]:
    """Write `out/labels.csv` and link each set folder into `out`; returns boxes per set."""
    rows = heldout_rows(train_root, sets)
    out.mkdir(parents=True, exist_ok=True)
    for name in sets:
        link, target = out / name, (train_root / name).resolve()
        if link.is_symlink() and link.resolve() != target:
            link.unlink()  # an older held-out folder made from another train root
        if not link.exists():
            link.symlink_to(target, target_is_directory=True)
        elif link.resolve() != target:
            raise HeldOutError(f"{link} exists and is not a link to {target}; give an empty --out folder")
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([f"{r.set_name}/{r.file}", r.text, *(f"{v:g}" for v in r.box), r.quality])
    per_set = {n: sum(r.set_name == n for r in rows) for n in sets}
    images = len({(r.set_name, r.file) for r in rows})
    log.info("wrote %s/labels.csv: %d images, %d boxes %s", out, images, len(rows), per_set)
    return per_set
