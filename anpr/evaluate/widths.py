"""Detection recall by the labelled plate's width, so a recall figure says which plates it loses.

Buckets are in pixels of the labelled box in the image as stored (before the detector's letterbox).
Edges 20/40/60/90/140: under 20 px a plate's characters are 2-3 px wide, unreadable even when found; 20-40
and 40-60 are the far plates (the detector's weak spot, and the night crops start at 45 px); 60-90 is where
reading starts to work; 90-140 and >= 140 are near plates (the gate camera's are 120-270 px). On the
held-out train split (126 boxes) each bucket holds 10-36 plates, enough to tell a weak bucket.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from anpr.track.boxes import Box

WIDTH_EDGES = (20, 40, 60, 90, 140)


def labels() -> list[str]:
    """Bucket names in order: "<20", "20-40", ..., ">=140"."""
    inner = [f"{a}-{b}" for a, b in pairwise(WIDTH_EDGES)]
    return [f"<{WIDTH_EDGES[0]}", *inner, f">={WIDTH_EDGES[-1]}"]


def bucket_of(box: Box) -> int:
    """Index of the bucket of a box's width."""
    width = box[2] - box[0]
    return sum(width >= edge for edge in WIDTH_EDGES)


@dataclass
class WidthTally:
    gt: list[int] = field(default_factory=lambda: [0] * (len(WIDTH_EDGES) + 1))
    tp: list[int] = field(default_factory=lambda: [0] * (len(WIDTH_EDGES) + 1))

    def add(self, box: Box, found: bool) -> None:
        k = bucket_of(box)
        self.gt[k] += 1
        self.tp[k] += found

    def as_list(self) -> list[dict[str, Any]]:
        """One object per bucket, in width order: {"width", "gt", "tp", "recall"} (recall null when empty)."""
        return [
            {"width": name, "gt": n, "tp": t, "recall": round(t / n, 4) if n else None}
            for name, n, t in zip(labels(), self.gt, self.tp, strict=True)
        ]


def format_line(rows: list[dict[str, Any]]) -> str:
    """`recall by plate width (px)  <20 0.3 (3/10)  20-40 ...`, empty buckets left out."""
    parts = [f"{r['width']} {r['recall']} ({r['tp']}/{r['gt']})" for r in rows if r["gt"]]
    return "recall by plate width (px)  " + "  ".join(parts)


def html_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{html.escape(r['width'])}</td><td>{r['gt']}</td><td>{r['tp']}</td>"
        f"<td>{'' if r['recall'] is None else r['recall']}</td></tr>"
        for r in rows
    )
    return (
        "<h2>Detection recall by plate width</h2><table><tr><th>labelled width (px)</th><th>plates</th>"
        f"<th>found</th><th>recall</th></tr>{body}</table>"
    )
