"""Does the read confidence mean what it says? The reliability table and the expected calibration error.

Reads are put in equal-width confidence bins; a calibrated reader's bin of reads at confidence ~0.7 is
exact 70 % of the time. ECE is the read-weighted mean gap |mean confidence - exact rate| over the bins.

On a few dozen reads ECE is mostly noise: a perfectly calibrated reader shows a gap too, because each bin's
exact rate is counted on few reads. So beside the ECE comes its floor, the median ECE that a perfectly
calibrated reader with the same confidences shows on as many reads (each read exact with the probability its
confidence says; 1000 draws from a fixed seed), and `ece_p`, the share of those draws with an ECE at least
the measured one: a large share means the set cannot tell this reader from a calibrated one. The "sure"
band's exact rate comes with its Wilson 95 % interval (five lines here rather than scipy, which the device
does not otherwise need).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

import numpy as np
import numpy.typing as npt

BINS = 10
DRAWS = 1000
"""Draws of a calibrated reader behind `ece_floor` and `ece_p`."""
HIGH = 0.9
"""The operator's "sure" band: reads at or above it are reported apart (target: exact >= 99 %)."""


class High(TypedDict):
    at: float
    n: int
    exact: float | None
    exact_ci: list[float] | None
    """Wilson 95 % interval of `exact`."""


class Reliability(TypedDict):
    n: int
    ece: float
    ece_floor: float
    """Median ECE of a perfectly calibrated reader with these confidences on as many reads."""
    ece_p: float
    """Share of such calibrated draws with an ECE at least `ece`."""
    high: High
    bins: list[list[float | int]]
    """[lo, hi, reads, mean confidence, exact rate] per non-empty bin."""


def reliability(pairs: Iterable[tuple[float, bool]], bins: int = BINS) -> Reliability | None:
    """(confidence, exact) of each read → {n, ece, high: {at, n, exact}, bins: [[lo, hi, n, conf, exact]]},
    empty bins left out; None without reads."""
    data = list(pairs)
    if not data:
        return None
    conf = np.clip(np.array([c for c, _ in data], dtype=np.float64), 0.0, 1.0)
    exact = np.array([e for _, e in data], dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    rows: list[list[float | int]] = []
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        if n:
            mean_conf, rate = float(conf[sel].mean()), float(exact[sel].mean())
            rows.append(
                [round(float(edges[b]), 2), round(float(edges[b + 1]), 2), n, round(mean_conf, 4), round(rate, 4)]
            )
    ece = float(_ece(conf[None], exact[None], idx, bins)[0])
    rng = np.random.default_rng(0)
    calibrated = _ece(np.broadcast_to(conf, (DRAWS, len(data))), rng.random((DRAWS, len(data))) < conf, idx, bins)
    high = conf >= HIGH
    n_high, k_high = int(high.sum()), float(exact[high].sum())
    return {
        "n": len(data),
        "ece": round(ece, 4),
        "ece_floor": round(float(np.median(calibrated)), 4),
        "ece_p": round(float((calibrated >= ece - 1e-12).mean()), 3),
        "high": {
            "at": HIGH,
            "n": n_high,
            "exact": round(k_high / n_high, 4) if n_high else None,
            "exact_ci": [round(v, 4) for v in wilson(k_high, n_high)] if n_high else None,
        },
        "bins": rows,
    }


def _ece(
    conf: npt.NDArray[np.float64], exact: npt.ArrayLike, idx: npt.NDArray[np.intp], bins: int
) -> npt.NDArray[np.float64]:
    """ECE of each row of `conf` / `exact` (draws × reads), reads binned by `idx` (broadcast to the rows);
    one bincount over (draw, bin) keys, so memory stays draws × reads."""
    draws, reads = conf.shape
    keys = (np.arange(draws)[:, None] * bins + np.broadcast_to(idx, conf.shape)).ravel()
    size = draws * bins
    conf_sum = np.bincount(keys, weights=conf.ravel(), minlength=size).reshape(draws, bins)
    hit = np.broadcast_to(np.asarray(exact, dtype=np.float64), conf.shape)
    hit_sum = np.bincount(keys, weights=hit.ravel(), minlength=size).reshape(draws, bins)
    return np.asarray(np.abs(conf_sum - hit_sum).sum(axis=1) / reads, dtype=np.float64)


def wilson(k: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a rate k/n (sensible at k = n, where the normal one collapses to a point)."""
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, float(mid - half)), min(1.0, float(mid + half))


def format_table(rel: Reliability) -> list[str]:
    """Text lines of a reliability summary (what `anpr eval` prints)."""
    high = rel["high"]
    ci = high["exact_ci"]
    within = f" [{ci[0]}, {ci[1]}]" if ci else ""
    lines = [
        f"calibration (ok rows with a read, n={rel['n']})  ECE {rel['ece']} (a calibrated reader: {rel['ece_floor']},"
        f" as large in {rel['ece_p']:.0%})  conf >= {high['at']}: n={high['n']} exact {high['exact']}{within}",
        "  confidence     reads  mean conf  exact",
    ]
    for lo, hi, n, mean_conf, rate in rel["bins"]:
        close = "]" if hi >= 1.0 else ")"  # the last bin holds 1.0 too
        lines.append(f"  [{lo:.1f}, {hi:.1f}{close}  {n:>6}  {mean_conf:9.3f}  {rate:5.3f}")
    return lines
