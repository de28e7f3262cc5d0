"""The shared labels.csv format (../shared/plates/README.md): read a set, write ours the same way.

Columns: ``file, plate_text, x1, y1, x2, y2, img_w, img_h, quality, source_path, notes``; the box is
empty for crop-only sets. One row per plate.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

COLUMNS = ("file", "plate_text", "x1", "y1", "x2", "y2", "img_w", "img_h", "quality", "source_path", "notes")
Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class LabelRow:
    file: str
    plate_text: str
    box: Box | None
    img_w: int
    img_h: int
    quality: str = "ok"
    source_path: str = ""
    notes: str = ""

    def as_csv(self) -> list[str]:
        box = [str(v) for v in self.box] if self.box else ["", "", "", ""]
        return [
            self.file,
            self.plate_text,
            *box,
            str(self.img_w),
            str(self.img_h),
            self.quality,
            self.source_path,
            self.notes,
        ]


def _int(value: str | None) -> int | None:
    try:
        return round(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


def read_labels(path: Path) -> Iterator[LabelRow]:
    """Rows of a shared-format labels.csv; rows with a malformed box come back with `box=None`."""
    with path.open(newline="", encoding="utf-8") as fh:
        for n, rec in enumerate(csv.DictReader(fh), start=2):
            coords = [_int(rec.get(k)) for k in ("x1", "y1", "x2", "y2")]
            box: Box | None = None
            if all(c is not None for c in coords):
                x1, y1, x2, y2 = (int(c) for c in coords if c is not None)
                if x2 > x1 and y2 > y1:
                    box = (x1, y1, x2, y2)
                else:
                    log.warning("%s line %d: degenerate box %s, skipped", path, n, coords)
            yield LabelRow(
                file=rec.get("file", ""),
                plate_text=rec.get("plate_text", "") or "",
                box=box,
                img_w=_int(rec.get("img_w")) or 0,
                img_h=_int(rec.get("img_h")) or 0,
                quality=rec.get("quality", "") or "",
                source_path=rec.get("source_path", "") or "",
                notes=rec.get("notes", "") or "",
            )


def write_labels(path: Path, rows: Iterable[LabelRow]) -> int:
    """Write labels.csv atomically (temp file + rename: a killed run never leaves half a CSV)."""
    tmp = path.with_suffix(".csv.tmp")
    count = 0
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(row.as_csv())
            count += 1
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return count
