"""Scoring as pure functions: box matching, plate text accuracy, and the summary `anpr eval` prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from anpr.evaluate.moto import MotoTally
from anpr.evaluate.reliability import reliability
from anpr.evaluate.widths import WidthTally
from anpr.track.boxes import Box, iou  # the tracker's own IoU, so eval and tracking agree
from anpr.types import PlateRead

IOU_MATCH = 0.5


@dataclass(frozen=True, slots=True)
class GtPlate:
    """One labelled plate (one row of labels.csv)."""

    text: str
    box: Box | None
    quality: str  # ok | uncertain | unreadable | "" (not recorded)


@dataclass(frozen=True, slots=True)
class ImageResult:
    """What happened on one image. `matches` pairs gt index -> (detection index, IoU) at IoU >= 0.5;
    `n_detections` is None when detection was skipped; `reads` pairs each gt index with its read."""

    file: str
    gt: tuple[GtPlate, ...]
    n_detections: int | None
    matches: dict[int, tuple[int, float]]
    reads: dict[int, PlateRead | None]
    ms: float
    unreadable: bool = False
    """The image file could not be decoded: nothing was scored, it is only counted."""


def match_boxes(gt: Sequence[Box], dets: Sequence[Box], threshold: float = IOU_MATCH) -> dict[int, tuple[int, float]]:
    """Greedy matching, detections in the given order (best score first): each takes the unmatched gt box
    it overlaps most, if that IoU >= threshold. Returns gt index -> (detection index, IoU)."""
    out: dict[int, tuple[int, float]] = {}
    for di, d in enumerate(dets):
        best, best_iou = -1, threshold
        for gi, g in enumerate(gt):
            if gi in out:
                continue
            v = iou(g, d)
            if v >= best_iou:
                best, best_iou = gi, v
        if best >= 0:
            out[best] = (di, best_iou)
    return out


def edit_ops(truth: str, pred: str) -> tuple[int, list[tuple[str, str]]]:
    """Levenshtein distance and the substituted (truth_char, pred_char) pairs of one optimal alignment.

    Hand-written (a 20-line DP) rather than pulling in a dependency for it.
    """
    n, m = len(truth), len(pred)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = 0 if truth[i - 1] == pred[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
    subs: list[tuple[str, str]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if d[i][j] == d[i - 1][j - 1] + (truth[i - 1] != pred[j - 1]):
            if truth[i - 1] != pred[j - 1]:
                subs.append((truth[i - 1], pred[j - 1]))
            i, j = i - 1, j - 1
        elif d[i][j] == d[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return d[n][m], subs[::-1]


@dataclass
class TextTally:
    n: int = 0
    exact: int = 0
    chars: int = 0
    chars_right: int = 0
    no_read: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, truth: str, read: PlateRead | None) -> None:
        pred = read.text if read is not None else ""
        self.n += 1
        self.no_read += read is None
        self.exact += pred == truth
        dist, subs = edit_ops(truth, pred)
        self.chars += len(truth)
        # Character accuracy: 1 - edit distance / length, summed over plates (a missing read scores 0).
        self.chars_right += max(0, len(truth) - dist)
        self.confusions.update(subs)

    def as_dict(self, with_confusions: bool) -> dict[str, object]:
        out: dict[str, object] = {
            "n": self.n,
            "exact": _ratio(self.exact, self.n),
            "char_acc": _ratio(self.chars_right, self.chars),
            "no_read": self.no_read,
        }
        if with_confusions:
            out["confusions"] = [
                [t, p, c] for (t, p), c in sorted(self.confusions.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
        return out


def _ratio(a: int | float, b: int | float) -> float | None:
    return round(a / b, 4) if b else None


def summarize(results: Iterable[ImageResult], with_reader: bool) -> dict[str, object]:
    """The object `anpr eval --json` prints. Keys are stable; a figure that does not apply is null."""
    tp = fp = fn = boxed = 0
    ious: list[float] = []
    widths = WidthTally()
    detected_images = 0
    ms: list[float] = []
    quality: Counter[str] = Counter()
    ok, uncertain = TextTally(), TextTally()
    motos = MotoTally()
    scored: list[tuple[float, bool]] = []
    n_images = 0
    unreadable: list[str] = []
    for r in results:
        n_images += 1
        if r.unreadable:
            unreadable.append(r.file)
            continue
        ms.append(r.ms)
        for g in r.gt:
            quality[g.quality or "none"] += 1
        boxed_here = [i for i, g in enumerate(r.gt) if g.box is not None]
        if r.n_detections is not None and boxed_here:
            detected_images += 1
            boxed += len(boxed_here)
            tp += len(r.matches)
            fn += len(boxed_here) - len(r.matches)
            fp += r.n_detections - len(r.matches)
            ious.extend(v for _, v in r.matches.values())
            for gi, g in enumerate(r.gt):
                if g.box is not None:
                    widths.add(g.box, gi in r.matches)
        for gi, read in r.reads.items():
            g = r.gt[gi]
            if g.text:
                motos.add(r.file, g.text, read)
            if g.quality == "ok":
                ok.add(g.text, read)
                if read is not None:
                    scored.append((read.confidence, read.text == g.text))
            elif g.quality == "uncertain":
                uncertain.add(g.text, read)
    detection = (
        {
            "gt": boxed,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "recall": _ratio(tp, tp + fn),
            "precision": _ratio(tp, tp + fp),
            "mean_iou": round(float(np.mean(ious)), 4) if ious else None,
            "by_width": widths.as_list(),
        }
        if detected_images
        else None
    )
    plate = (
        {
            **ok.as_dict(with_confusions=True),
            "uncertain": uncertain.as_dict(with_confusions=False),
            "calibration": reliability(scored),
            "moto_misreads": motos.as_dict(),
        }
        if with_reader
        else None
    )
    return {
        "detection": detection,
        "plate": plate,
        "ms": {
            "median": round(float(np.median(ms)), 2) if ms else None,
            "p95": round(float(np.percentile(ms, 95)), 2) if ms else None,
        },
        "counts": {
            "images": n_images,
            "plates": sum(quality.values()),
            "quality": dict(sorted(quality.items())),
            "unreadable_images": len(unreadable),
            "unreadable_files": unreadable[:20],
        },
    }
