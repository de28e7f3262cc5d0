"""The eval report's plots (`anpr.evaluate.report`): figures, time per image, character substitutions,
confidence of exact and wrong reads, reliability. Each takes pyplot from the report, which owns the optional
matplotlib import and its error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anpr.evaluate.metrics import ImageResult


def write_plots(plt: Any, summary: dict[str, Any], results: list[ImageResult], folder: Path) -> list[str]:
    """Write the PNG plots into `folder`; returns their file names, the optional ones only when drawn."""
    _plot_figures(plt, summary, folder / "figures.png")
    _plot_ms(plt, results, folder / "ms.png")
    plate = summary.get("plate") or {}
    plots = ["figures.png", "ms.png"]
    if _plot_confusion(plt, plate.get("confusions") or [], folder / "confusion.png"):
        plots.append("confusion.png")
    if _plot_confidence(plt, results, folder / "confidence.png"):
        plots.append("confidence.png")
    if _plot_reliability(plt, plate.get("calibration"), folder / "reliability.png"):
        plots.append("reliability.png")
    return plots


def _plot_figures(plt: Any, summary: dict[str, Any], path: Path) -> None:
    names, values = [], []
    d, p = summary.get("detection"), summary.get("plate")
    if d:
        names += ["det. recall", "det. precision", "mean IoU"]
        values += [d["recall"] or 0.0, d["precision"] or 0.0, d["mean_iou"] or 0.0]
    if p:
        names += ["plate exact", "char acc."]
        values += [p["exact"] or 0.0, p["char_acc"] or 0.0]
    fig, ax = plt.subplots(figsize=(6, 3))
    bars = ax.bar(names, values, color="#3b7dd8")
    ax.bar_label(bars, fmt="%.3f")
    ax.set_ylim(0, 1.1)
    ax.set_title("figures")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_confusion(plt: Any, confusions: list[list[Any]], path: Path) -> bool:
    if not confusions:
        return False
    truth = sorted({t for t, _p, _n in confusions})
    read = sorted({q for _t, q, _n in confusions})
    grid = [[0] * len(read) for _ in truth]
    for t, q, n in confusions:
        grid[truth.index(t)][read.index(q)] = n
    fig, ax = plt.subplots(figsize=(max(3, 0.5 * len(read) + 2), max(2.5, 0.45 * len(truth) + 1.5)))
    ax.imshow(grid, cmap="Reds")
    ax.set_xticks(range(len(read)), read)
    ax.set_yticks(range(len(truth)), truth)
    ax.set_xlabel("read as")
    ax.set_ylabel("truth")
    for i, row in enumerate(grid):
        for j, n in enumerate(row):
            if n:
                ax.text(j, i, str(n), ha="center", va="center")
    ax.set_title("character substitutions (ok rows)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _plot_confidence(plt: Any, results: list[ImageResult], path: Path) -> bool:
    right: list[float] = []
    wrong: list[float] = []
    for r in results:
        for gi, read in r.reads.items():
            if read is not None and r.gt[gi].text:
                (right if read.text == r.gt[gi].text else wrong).append(read.confidence)
    if not right and not wrong:
        return False
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist([right, wrong], bins=20, range=(0, 1), label=["exact", "wrong"], color=["#3a3", "#d33"], stacked=True)
    ax.set_xlabel("read confidence")
    ax.set_ylabel("plates")
    ax.legend()
    ax.set_title("confidence of exact and wrong reads")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _plot_reliability(plt: Any, rel: dict[str, Any] | None, path: Path) -> bool:
    """The reliability diagram: exact rate per confidence bin against the diagonal of a calibrated reader."""
    if not rel or not rel.get("bins"):
        return False
    lo, hi, n, conf, rate = zip(*rel["bins"], strict=True)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    width = [b - a for a, b in zip(lo, hi, strict=True)]
    ax.bar(lo, rate, width=width, align="edge", color="#3b7dd8", edgecolor="#fff", label="exact rate")
    ax.plot([0, 1], [0, 1], "--", color="#888", label="calibrated")
    ax.plot(conf, rate, "o", color="#d33", label="mean confidence")
    for x, y, k in zip(lo, rate, n, strict=True):
        ax.text(x + 0.05, min(y + 0.02, 1.02), str(k), ha="center", fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("read confidence (bin; number = reads)")
    ax.set_ylabel("exact")
    floor = f" (a calibrated reader: {rel['ece_floor']})" if "ece_floor" in rel else ""
    ax.set_title(f"reliability (ok rows): ECE {rel['ece']}{floor}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _plot_ms(plt: Any, results: list[ImageResult], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist([r.ms for r in results if not r.unreadable], bins=30, color="#888")
    ax.set_xlabel("ms per image")
    ax.set_ylabel("images")
    ax.set_title("time per image")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
