"""`anpr train calibrate`: fit the reader's confidence calibration on labelled TRAIN crops.

Each read's raw score (the least character probability of the decoded plate, the reader run with no
calibration) is paired with whether the read is exact; scikit-learn's IsotonicRegression fits the
monotone map score → P(exact) and its knots are written as a small JSON table beside the reader model
(`anpr.ocr.calibration` applies it with numpy at run time; scikit-learn is a fit-time dependency only).
The reads come from the labelled boxes of Chilean train sets and from rendered plates (`anpr.synth`);
never from shared/plates/eval/, nor from an eval image copied into a train set (`anpr.train.leakage`).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anpr.evaluate.reliability import Reliability, reliability
from anpr.evaluate.runner import evaluate_images, load_labels
from anpr.ocr.base import Reader
from anpr.ocr.calibration import Calibration
from anpr.train.leakage import refuse_eval_images
from anpr.types import Detection

log = logging.getLogger(__name__)

DEFAULT_SETS = ("chile_gate_overlay",)
"""The train sets with Chilean plate text. Not the OpenALPR sets by default: the reader forces most foreign
plates into a wrong Chilean string at raw scores near 1 (Brazil: 90 of 111 reads at >= 0.9, none exact), and
at their share of the sets (a fifth of all reads) they pulled every Chilean read down to 0.92 at most; on a
Chilean road foreign plates are far rarer than that. `--sets` adds them for a measurement."""
MIN_READS = 50
"""Fewer reads than this give a table too coarse to trust."""


class CalibrateError(Exception):
    """The inputs cannot give a calibration (no such set, eval data, too few reads); the message says why."""


@dataclass(frozen=True, slots=True)
class Sample:
    source: str
    raw: float
    exact: bool


def _refuse_eval(folder: Path) -> None:
    if "eval" in folder.resolve().parts:
        raise CalibrateError(f"{folder}: an eval set; calibration is fitted on train data only")


def set_samples(reader: Reader, folder: Path) -> Iterator[Sample]:
    """(raw score, exact) of each labelled plate (quality `ok` or not recorded) the reader reads in a set:
    boxed rows on their box, unboxed images read whole."""
    _refuse_eval(folder)
    labels = folder / "labels.csv"
    if not labels.is_file():
        raise CalibrateError(f"{folder}: no labels.csv (a shared-format set folder is needed)")
    images = load_labels(labels)
    refuse_eval_images((folder / item.file for item in images), folder.parent)
    for result in evaluate_images(folder, images, None, reader, "crop"):
        for gi, read in result.reads.items():
            gt = result.gt[gi]
            # "" = the source recorded no quality (the OpenALPR sets: their authors' labels)
            if read is not None and gt.quality in ("ok", "") and gt.text:
                yield Sample(folder.name, read.confidence, read.text == gt.text)


def render_samples(reader: Reader, n: int, seed: int) -> Iterator[Sample]:
    """(raw score, exact) on `n` rendered, degraded plate crops (the reader-training renders)."""
    from anpr.synth.crops import make_crop

    for i in range(n):
        crop = make_crop(random.Random(f"{seed}:calibrate:{i}"))
        h, w = crop.image.shape[:2]
        read = reader.read(crop.image, Detection(box=(0.0, 0.0, float(w), float(h)), score=1.0))
        if read is not None:
            yield Sample("renders", read.confidence, read.text == crop.text)


def fit(samples: Sequence[Sample], model: str = "", model_sha256: str = "") -> Calibration:
    """The isotonic map raw score → P(exact), as knots (at most one per distinct fitted level edge)."""
    try:
        from sklearn.isotonic import IsotonicRegression
    except ImportError:
        raise CalibrateError("scikit-learn is needed to fit: pip install -e '.[calibrate]'") from None
    if len(samples) < MIN_READS:
        raise CalibrateError(f"only {len(samples)} reads to fit on (need {MIN_READS}); add sets or renders")
    x = np.array([s.raw for s in samples], dtype=np.float64)
    y = np.array([s.exact for s in samples], dtype=np.float64)
    # No fit on n reads can show a rate nearer 0 or 1 than 1/(n+1): the table never claims certainty.
    edge = 1.0 / (len(samples) + 1)
    iso = IsotonicRegression(y_min=edge, y_max=1.0 - edge, increasing=True, out_of_bounds="clip").fit(x, y)
    kx = [round(float(v), 6) for v in iso.X_thresholds_]
    ky = [round(float(v), 6) for v in iso.y_thresholds_]
    # The table must cover [0, 1]: hold the end levels flat out to the ends.
    if kx[0] > 0.0:
        kx, ky = [0.0, *kx], [ky[0], *ky]
    if kx[-1] < 1.0:
        kx, ky = [*kx, 1.0], [*ky, ky[-1]]
    return Calibration(tuple(kx), tuple(ky), model, model_sha256)


@dataclass(frozen=True, slots=True)
class SourceSummary:
    reads: int
    exact: float
    raw: Reliability | None
    calibrated: Reliability | None


def summary(samples: Iterable[Sample], calib: Calibration) -> dict[str, SourceSummary]:
    """Per source: reads, exact rate, and the reliability of the raw and of the calibrated scores."""
    by_source: dict[str, list[Sample]] = {}
    for s in samples:
        by_source.setdefault(s.source, []).append(s)
    by_source["all"] = [s for group in list(by_source.values()) for s in group]
    return {
        name: SourceSummary(
            len(group),
            round(sum(s.exact for s in group) / len(group), 4),
            reliability((s.raw, s.exact) for s in group),
            reliability((calib(s.raw), s.exact) for s in group),
        )
        for name, group in by_source.items()
    }
