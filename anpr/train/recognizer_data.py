"""`anpr train recognizer-data`: grey text-row strips with their text, for the plate recognizer CRNN.

Every strip goes through `anpr.ocr.strips.strips`, the reader's own pre-processing (deskew, CLAHE,
two-row split, character-line crop, resize to the model height), so training sees what run time feeds
the model. Sources: rendered crops (`anpr.synth.crops.make_crop`: day, night IR, blur, rain, tilt; cars
and two-row motorcycles, whose rows are stored separately with their own text) and the labelled real
boxes with text under ../shared/plates/train (several jittered crops each, as detector boxes vary).
Foreign plates are kept: they teach characters, and the grammar rejects their formats at run time.

Output: sheets/NNNN.webp (up to 256 strips stacked, each H×W, right-padded with grey), labels.csv
(sheet, row, width, text, source, group) and manifest.json. Lossy WebP (q75) keeps 60k strips near 40 MB;
its artefacts are the kind video compression makes anyway.

Needs numpy and OpenCV only, so it also runs on a bare GPU box (16 cores render 60k crops in ~2 min):
    PYTHONPATH=. python3 -m anpr.train.recognizer_data --out /tmp/rec_synth --n 60000 --no-real --workers 16
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from anpr.ocr import preprocess
from anpr.ocr.strips import pad_strip, strips
from anpr.types import Detection, Image

log = logging.getLogger(__name__)

PER_SHEET = 256
TEXT = re.compile(r"^[A-Z0-9]+$")
PREPROCESS_KEYS = ("margin_x", "margin_y", "clahe", "deskew", "char_band")
"""ReaderConfig fields that shape a strip: Settings carries them (tests check they match the defaults)."""


@dataclass(frozen=True, slots=True)
class Strip:
    image: Image
    text: str
    source: str  # "synth" or the real set's name
    group: str  # all strips of one source image share it (kept on one side of the train/val split)


@dataclass(frozen=True, slots=True)
class Settings:
    height: int = 32
    width: int = 128
    real_variants: int = 8
    seed: int = 0
    margin_x: float = 0.04
    margin_y: float = 0.0
    clahe: bool = True
    deskew: bool = True
    char_band: bool = True


def _strips(img: Image, s: Settings) -> list[Image]:
    return strips(img, s.height, s.width, use_clahe=s.clahe, deskew=s.deskew, band=s.char_band)


def moto_rows(text: str) -> tuple[str, str]:
    """Row texts of a two-row motorcycle plate: the letters over the digits (anpr.synth.plate's rule)."""
    cut = next((i for i, c in enumerate(text) if c.isdigit()), len(text))
    if cut in (0, len(text)):
        cut = (len(text) + 1) // 2
    return text[:cut], text[cut:]


def synth_strips(i: int, s: Settings) -> tuple[list[Strip], str]:
    """Strips of rendered crop `i` and what happened (`ok`, or why it was skipped)."""
    from anpr.synth.crops import make_crop

    c = make_crop(random.Random(f"{s.seed}:crop:{i}"))
    rows = _strips(c.image, s)
    moto = c.format.startswith("moto")
    if moto and len(rows) == 2:
        texts: tuple[str, ...] = moto_rows(c.text)
    elif not moto and len(rows) == 1:
        texts = (c.text,)
    else:  # the reader would also misread it: a row split it did not find (or found wrongly)
        return [], f"synth_{'moto' if moto else 'car'}_{len(rows)}_rows"
    return [Strip(r, t, "synth", f"synth:{i}") for r, t in zip(rows, texts, strict=True)], "ok"


def _jitter(box: tuple[float, float, float, float], rng: random.Random) -> tuple[float, float, float, float]:
    """A detector-like box around the labelled one: each side moved inwards a little or outwards more."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    return (
        x1 - rng.uniform(-0.04, 0.08) * w,
        y1 - rng.uniform(-0.06, 0.2) * h,
        x2 + rng.uniform(-0.04, 0.08) * w,
        y2 + rng.uniform(-0.06, 0.2) * h,
    )


def real_strips(path: Path, text: str, box: tuple[float, float, float, float], source: str, s: Settings) -> list[Strip]:
    """Strips of one labelled real box: the reader's own crop plus jittered ones (one-row reads only)."""
    img = cv2.imread(str(path))
    if img is None:
        log.warning("cannot read %s; skipped", path)
        return []
    rng = random.Random(f"{s.seed}:{source}:{path.name}:{text}")
    out: list[Strip] = []
    for v in range(s.real_variants):
        det_box = box if v == 0 else _jitter(box, rng)
        plate = preprocess.crop(np.asarray(img), Detection(det_box, 1.0), (s.margin_x, s.margin_y))
        if plate is None:
            continue
        rows = _strips(plate, s)
        if len(rows) == 1:  # row texts of foreign two-row plates are unknown
            out.append(Strip(rows[0], text, source, f"{source}:{path.name}:{text}"))
    return out


def real_rows(train_root: Path) -> Iterator[tuple[Path, str, tuple[float, float, float, float], str]]:
    """(image, text, box, set name) of every labelled box with A-Z0-9 text under `train_root`."""
    if "eval" in train_root.resolve().parts:
        raise ValueError(f"{train_root} is an evaluation folder: never train on it")
    for labels in sorted(train_root.glob("*/labels.csv")):
        with open(labels, newline="") as f:
            for row in csv.DictReader(f):
                text = (row.get("plate_text") or "").strip().upper()
                if not TEXT.match(text) or not row.get("x1") or row.get("quality") in ("uncertain", "unreadable"):
                    continue
                box = (float(row["x1"]), float(row["y1"]), float(row["x2"]), float(row["y2"]))
                yield labels.parent / row["file"], text, box, labels.parent.name


def _synth_job(args: tuple[int, Settings]) -> tuple[list[Strip], str]:
    return synth_strips(*args)


def _real_job(args: tuple[Path, str, tuple[float, float, float, float], str, Settings]) -> list[Strip]:
    return real_strips(*args)


class SheetWriter:
    """Stacks strips into WebP sheets and collects their label rows."""

    def __init__(self, out: Path, s: Settings, quality: int) -> None:
        self.out, self.s, self.quality = out, s, quality
        (out / "sheets").mkdir(parents=True, exist_ok=True)
        self.pending: list[Strip] = []
        self.rows: list[dict[str, Any]] = []
        self.n_sheets = 0

    def add(self, strip: Strip) -> None:
        self.pending.append(strip)
        if len(self.pending) == PER_SHEET:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        name = f"sheets/{self.n_sheets:04d}.webp"
        sheet = np.concatenate([pad_strip(p.image, self.s.width) for p in self.pending])
        if not cv2.imwrite(str(self.out / name), sheet, [cv2.IMWRITE_WEBP_QUALITY, self.quality]):
            raise OSError(f"cannot write {self.out / name}")
        for k, p in enumerate(self.pending):
            w = min(self.s.width, p.image.shape[1])
            self.rows.append(
                {"sheet": name, "row": k, "width": w, "text": p.text, "source": p.source, "group": p.group}
            )
        self.n_sheets += 1
        self.pending = []


def build(
    out: Path, n_synth: int, train_root: Path | None, s: Settings, *, quality: int = 75, workers: int = 2
) -> dict[str, Any]:
    """Writes the data folder `out` (it must not hold an older one); returns the manifest."""
    if (out / "labels.csv").exists():
        raise ValueError(f"{out} already holds a data set; remove it first")
    writer = SheetWriter(out, s, quality)
    counts: Counter[str] = Counter()
    reals = list(real_rows(train_root)) if train_root is not None else []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for strips, why in pool.map(_synth_job, [(i, s) for i in range(n_synth)], chunksize=64):
            counts[why] += 1
            for st in strips:
                writer.add(st)
            if sum(counts.values()) % 5000 == 0:
                log.info("%d/%d rendered crops", sum(counts.values()), n_synth)
        for row, strips in zip(reals, pool.map(_real_job, [(*r, s) for r in reals], chunksize=4), strict=True):
            counts[f"real_{row[3]}_boxes"] += 1
            counts[f"real_{row[3]}_strips"] += len(strips)
            for st in strips:
                writer.add(st)
    writer.flush()
    with open(out / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["sheet", "row", "width", "text", "source", "group"])
        w.writeheader()
        w.writerows(writer.rows)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    manifest: dict[str, Any] = {
        "height": s.height,
        "width": s.width,
        "strips": len(writer.rows),
        "synth_crops": n_synth,
        "real_strips": sum(r["source"] != "synth" for r in writer.rows),
        "real_variants": s.real_variants,
        "seed": s.seed,
        "train_root": str(train_root) if train_root else None,
        "webp_quality": quality,
        "counts": dict(sorted(counts.items())),
        "preprocess": {"function": "anpr.ocr.strips.strips", **{k: getattr(s, k) for k in PREPROCESS_KEYS}},
        "bytes": size,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def main(argv: list[str] | None = None) -> int:
    """The builder without the anpr CLI (and its pydantic config): defaults equal ReaderConfig's."""
    p = argparse.ArgumentParser(description="build recognizer strips (see anpr train recognizer-data)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n", type=int, default=60000, help="rendered crops")
    p.add_argument("--train-root", type=Path, default=Path("../shared/plates/train"))
    p.add_argument("--no-real", action="store_true")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    m = build(args.out, args.n, None if args.no_real else args.train_root, Settings(seed=args.seed),
              workers=args.workers)  # fmt: skip
    print(json.dumps({k: m[k] for k in ("strips", "real_strips", "bytes", "counts")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
