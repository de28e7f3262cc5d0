"""Does the read confidence mean what it says? The reliability table and the expected calibration error.

Reads are put in equal-width confidence bins; a calibrated reader's bin of reads at confidence ~0.7 is
exact 70 % of the time. ECE is the read-weighted mean gap |mean confidence - exact rate| over the bins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

import numpy as np

BINS = 10
HIGH = 0.9
"""The operator's "sure" band: reads at or above it are reported apart (target: exact >= 99 %)."""


class High(TypedDict):
    at: float
    n: int
    exact: float | None


class Reliability(TypedDict):
    n: int
    ece: float
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
    gap = 0.0
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        if not n:
            continue
        mean_conf, rate = float(conf[sel].mean()), float(exact[sel].mean())
        gap += n * abs(mean_conf - rate)
        rows.append([round(float(edges[b]), 2), round(float(edges[b + 1]), 2), n, round(mean_conf, 4), round(rate, 4)])
    high = conf >= HIGH
    return {
        "n": len(data),
        "ece": round(gap / len(data), 4),
        "high": {
            "at": HIGH,
            "n": int(high.sum()),
            "exact": round(float(exact[high].mean()), 4) if high.any() else None,
        },
        "bins": rows,
    }


def format_table(rel: Reliability) -> list[str]:
    """Text lines of a reliability summary (what `anpr eval` prints)."""
    high = rel["high"]
    lines = [
        f"calibration (ok rows with a read, n={rel['n']})  ECE {rel['ece']}"
        f"  conf >= {high['at']}: n={high['n']} exact {high['exact']}",
        "  confidence     reads  mean conf  exact",
    ]
    for lo, hi, n, mean_conf, rate in rel["bins"]:
        close = "]" if hi >= 1.0 else ")"  # the last bin holds 1.0 too
        lines.append(f"  [{lo:.1f}, {hi:.1f}{close}  {n:>6}  {mean_conf:9.3f}  {rate:5.3f}")
    return lines
