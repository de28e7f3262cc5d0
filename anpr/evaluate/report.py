"""`anpr eval ... --report DIR`: an HTML page with the figures, plots, the character confusion matrix and
a gallery of every miss (crop, truth, read, alternatives). matplotlib is the optional `[report]` extra,
imported only here."""

from __future__ import annotations

import html
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anpr.evaluate.metrics import ImageResult
from anpr.evaluate.moto import format_line as moto_line
from anpr.evaluate.report_plots import write_plots
from anpr.evaluate.widths import html_table
from anpr.types import Image, PlateRead

log = logging.getLogger(__name__)

GALLERY_WIDTH = 240


class ReportError(Exception):
    """The report cannot be written (matplotlib missing, folder unwritable); the message says what to do."""


@dataclass(frozen=True)
class Miss:
    """One labelled plate that was not read exactly."""

    file: str
    truth: str
    quality: str
    why: str  # "not detected" | "no read" | "misread"
    read: PlateRead | None
    box: tuple[float, float, float, float] | None


def find_misses(results: list[ImageResult]) -> list[Miss]:
    """Every labelled plate with a text (ok or uncertain) that was missed or misread, in file order."""
    out: list[Miss] = []
    for r in results:
        for gi, g in enumerate(r.gt):
            if not g.text or g.quality not in ("ok", "uncertain"):
                continue
            if gi in r.reads:
                read = r.reads[gi]
                if read is not None and read.text == g.text:
                    continue
                undetected = read is None and r.n_detections is not None and g.box is not None and gi not in r.matches
                why = "not detected" if undetected else ("no read" if read is None else "misread")
            elif r.n_detections is not None and g.box is not None and gi not in r.matches:
                why, read = "not detected", None
            else:
                continue  # this plate was not scored (e.g. detection only and it was found)
            out.append(Miss(r.file, g.text, g.quality, why, read, g.box))
    return out


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ReportError(
            "--report needs matplotlib for its plots: pip install 'anpr[report]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _crop(root: Path, miss: Miss) -> Image | None:
    import cv2
    import numpy as np

    img = cv2.imread(str(root / miss.file), cv2.IMREAD_COLOR)
    if img is None:
        return None
    if miss.box is not None:
        x1, y1, x2, y2 = miss.box
        mx, my = (x2 - x1) * 0.15, (y2 - y1) * 0.3
        h, w = img.shape[:2]
        img = img[max(0, int(y1 - my)) : min(h, int(y2 + my)), max(0, int(x1 - mx)) : min(w, int(x2 + mx))]
    if img.size == 0:
        return None
    scale = GALLERY_WIDTH / img.shape[1]
    return np.asarray(cv2.resize(img, (GALLERY_WIDTH, max(1, round(img.shape[0] * scale)))), dtype=np.uint8)


def write_html(folder: Path, root: Path, summary: dict[str, Any], results: list[ImageResult]) -> Path:
    """Write `index.html`, its PNG plots and the miss crops into `folder`; returns the page's path."""
    import cv2

    plt = _pyplot()
    try:
        (folder / "misses").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportError(f"{folder}: cannot create the report folder ({err})") from None
    plots = write_plots(plt, summary, results, folder)
    plate = summary.get("plate") or {}
    misses = find_misses(results)
    rows = []
    for i, miss in enumerate(misses):
        crop = _crop(root, miss)
        img = ""
        if crop is not None and cv2.imwrite(str(folder / "misses" / f"{i:04d}.png"), crop):
            img = f'<img src="misses/{i:04d}.png" alt="{html.escape(miss.file)}">'
        read = miss.read
        alts = ", ".join(f"{c.text} {c.score:.2f}" for c in read.alternatives[:5]) if read is not None else ""
        rows.append(
            f'<tr class="miss"><td>{img}</td><td>{html.escape(miss.file)}</td><td class="truth">'
            f"{html.escape(miss.truth)}</td><td>{html.escape(read.text if read else '—')}</td>"
            f"<td>{f'{read.confidence:.2f}' if read else ''}</td><td>{html.escape(read.raw_text if read else '')}</td>"
            f"<td>{html.escape(alts)}</td><td>{html.escape(miss.why)}</td><td>{html.escape(miss.quality)}</td></tr>"
        )
    page = _PAGE.format(
        title=html.escape(f"anpr eval — {summary.get('set', '')}"),
        summary=_summary_table(summary),
        widths=html_table((summary.get("detection") or {}).get("by_width") or []),
        plots="".join(f'<img class="plot" src="{p}" alt="{p}">' for p in plots),
        n_misses=len(misses),
        rows="\n".join(rows) or '<tr><td colspan="9">no misses</td></tr>',
        confusions=_confusion_table(plate.get("confusions") or []),
    )
    out = folder / "index.html"
    out.write_text(page, encoding="utf-8")
    return out


def _summary_table(s: dict[str, Any]) -> str:
    c = s.get("counts", {})
    items: list[tuple[str, Any]] = [
        ("set", s.get("set")),
        ("detector", (s.get("detector") or {}).get("version")),
        ("reader", s.get("reader")),
        ("images", c.get("images")),
        ("unreadable images (not scored)", c.get("unreadable_images")),
        ("plates", c.get("plates")),
    ]
    for k, v in (s.get("detection") or {}).items():
        if k != "by_width":  # its own table
            items.append((f"detection {k}", v))
    p = s.get("plate") or {}
    for k in ("n", "exact", "char_acc", "no_read"):
        if k in p:
            items.append((f"plate {k} (ok rows)", p[k]))
    rel = p.get("calibration") or {}
    if rel:
        floor = ""
        if "ece_floor" in rel:  # summaries written before the floor was measured have none
            floor = f"; a calibrated reader: {rel['ece_floor']}, as large in {rel['ece_p']:.0%}"
        items.append(("expected calibration error (ok rows)", f"{rel['ece']}{floor}"))
        high = rel["high"]
        ci = high.get("exact_ci")
        within = f" (95 % {ci[0]}–{ci[1]})" if ci else ""
        items.append((f"reads at confidence >= {high['at']}: n, exact", f"{high['n']}, {high['exact']}{within}"))
    if moto := p.get("moto_misreads"):
        items.append(("car plates read as motorcycles", moto_line(moto).split(": ", 1)[1]))
    for k, v in (s.get("ms") or {}).items():
        items.append((f"ms per image {k}", v))
    return "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in items)


def _confusion_table(confusions: list[list[Any]]) -> str:
    if not confusions:
        return "<p>no character substitutions</p>"
    counts = Counter({(t, q): n for t, q, n in confusions})
    body = "".join(
        f"<tr><td>{html.escape(t)}</td><td>{html.escape(q)}</td><td>{n}</td></tr>" for (t, q), n in counts.most_common()
    )
    return f"<table><tr><th>truth</th><th>read as</th><th>times</th></tr>{body}</table>"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: middle; }}
th {{ background: #f3f3f3; }}
.plot {{ max-width: 48%; margin: 4px; border: 1px solid #ddd; }}
td.truth {{ font-weight: bold; font-family: monospace; font-size: 1.2em; }}
</style></head>
<body>
<h1>{title}</h1>
<h2>Figures</h2>
<table>{summary}</table>
{widths}
<div>{plots}</div>
<h2>Character confusions</h2>
{confusions}
<h2 id="misses">Misses ({n_misses})</h2>
<table>
<tr><th>crop</th><th>file</th><th>truth</th><th>read</th><th>conf.</th><th>raw</th><th>alternatives</th>
<th>why</th><th>quality</th></tr>
{rows}
</table>
</body></html>
"""
