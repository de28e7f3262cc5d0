"""No eval image in any training set: every builder that fits on real photos checks them here first.

Each image under the eval root (`../shared/plates/eval/*/images/`) gets two fingerprints:

- the sha256 of its file bytes: an exact copy, under any name;
- its decoded pixels as a 16x16 grey thumbnail (area-averaged, then zero mean and unit variance), matched
  by correlation >= `MATCH`: a re-encoded copy (another JPEG quality, PNG, WebP) has other bytes but the
  same picture.

Why a correlation and not a sha256 of the thumbnail: lossy re-encoding moves some thumbnail grey levels by
one or two, and any such change gives another sha256, so an exact hash of the pixels only catches lossless
copies. Measured on the 503 eval images (colour-decoded, as here): JPEG q40/q90, WebP q50 and PNG copies
keep a correlation >= 0.99 with their original, while the closest pair of distinct photos between the
1,270 train images and the eval images is at 0.906. `MATCH` sits between the two. A 503 x 256 matrix
product compares one image with every eval image at once. A flat image has no thumbnail (nothing to
correlate); its sha256 still counts.

Nothing is cached on disk; the eval index is built once per process (~1 s for the shared eval sets).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

DEFAULT_EVAL_ROOT = Path("../shared/plates/eval")
THUMB = 16
MATCH = 0.95
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
SHOWN = 5
"""Offending files named in one error (the count says how many more)."""

Thumb = npt.NDArray[np.float32]


class LeakageError(ValueError):
    """A training input is an eval image (a copy or a re-encoding); the message names both files."""


@dataclass(frozen=True, slots=True)
class Fingerprint:
    sha256: str
    thumb: Thumb | None
    """Normalised 16x16 grey thumbnail, flattened; None when the bytes do not decode or the image is flat."""


def fingerprint_bytes(data: bytes) -> Fingerprint:
    import cv2

    digest = hashlib.sha256(data).hexdigest()
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if img is None:
        return Fingerprint(digest, None)
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    t = cv2.resize(grey, (THUMB, THUMB), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    t -= t.mean()
    spread = float(t.std())
    return Fingerprint(digest, None if spread < 1e-3 else t / spread)


def fingerprint(path: Path) -> Fingerprint:
    return fingerprint_bytes(path.read_bytes())


def image_files(root: Path) -> list[Path]:
    """Every image file under `root` (any depth), sorted."""
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


@dataclass(frozen=True)
class EvalIndex:
    """The fingerprints of every eval image; `match` says which eval image a fingerprint copies."""

    root: Path
    files: tuple[Path, ...]
    by_sha: dict[str, Path]
    thumbs: npt.NDArray[np.float32]  # (n, THUMB*THUMB), one row per image that has a thumbnail
    thumb_files: tuple[Path, ...]

    @classmethod
    def build(cls, root: Path) -> EvalIndex:
        files = image_files(root)
        by_sha: dict[str, Path] = {}
        rows: list[Thumb] = []
        thumb_files: list[Path] = []
        for f in files:
            fp = fingerprint(f)
            by_sha.setdefault(fp.sha256, f)
            if fp.thumb is not None:
                rows.append(fp.thumb)
                thumb_files.append(f)
        thumbs = np.stack(rows) if rows else np.zeros((0, THUMB * THUMB), np.float32)
        log.info("eval index %s: %d images", root, len(files))
        return cls(root, tuple(files), by_sha, thumbs, tuple(thumb_files))

    def match(self, fp: Fingerprint) -> tuple[Path, str] | None:
        """(eval file, how) when `fp` is an eval image: "same bytes" or "same picture, correlation r"."""
        same = self.by_sha.get(fp.sha256)
        if same is not None:
            return same, "same bytes"
        if fp.thumb is None or not len(self.thumb_files):
            return None
        corr = self.thumbs @ fp.thumb / (THUMB * THUMB)
        best = int(np.argmax(corr))
        if corr[best] >= MATCH:
            return self.thumb_files[best], f"same picture re-encoded (thumbnail correlation {corr[best]:.3f})"
        return None

    def leaks(self, paths: Iterable[Path]) -> list[tuple[Path, Path, str]]:
        """(training file, eval file, how) for each of `paths` that is an eval image; unreadable files are
        compared by their bytes only (the builder reports them as unreadable itself)."""
        out = []
        for p in paths:
            try:
                fp = fingerprint(p)
            except OSError:
                continue  # missing: the builder says so in its own words
            hit = self.match(fp)
            if hit is not None:
                out.append((p, *hit))
        return out


@cache
def _index(root: Path) -> EvalIndex:
    return EvalIndex.build(root)


def find_eval_root(near: Path) -> Path | None:
    """The eval folder that belongs with the train folder `near` (its sibling `eval/`), else the shared one
    (`../shared/plates/eval` from the working folder); None when neither exists."""
    for cand in (near.resolve().parent / "eval", DEFAULT_EVAL_ROOT.resolve()):
        if cand.is_dir():
            return cand
    return None


def refuse_eval_images(paths: Iterable[Path], train_root: Path, eval_root: Path | None = None) -> None:
    """Raise LeakageError if any of `paths` (images a builder is about to fit on) is an image of the eval
    root, by bytes or by picture. `eval_root` defaults to `find_eval_root(train_root)`; when there is no
    eval folder on this machine there is nothing to compare with: a warning, and the build goes on."""
    root = eval_root if eval_root is not None else find_eval_root(train_root)
    if root is None:
        log.warning("no eval folder beside %s nor at %s: training images not checked for eval copies",
                    train_root, DEFAULT_EVAL_ROOT)  # fmt: skip
        return
    checked = list(dict.fromkeys(Path(p) for p in paths))
    leaks = _index(root.resolve()).leaks(checked)
    log.info("%d training images checked against the eval images of %s: %d copies", len(checked), root, len(leaks))
    if leaks:
        shown = "; ".join(f"{p} is eval image {e} ({how})" for p, e, how in leaks[:SHOWN])
        more = f" (and {len(leaks) - SHOWN} more)" if len(leaks) > SHOWN else ""
        raise LeakageError(
            f"{len(leaks)} training image(s) are eval images: {shown}{more}. Eval images are for measuring "
            "only: remove them from the training sets"
        )
