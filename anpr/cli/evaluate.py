"""`anpr eval DIR --labels CSV`: score the detector (and the reader, when there is one) on a labelled folder."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from anpr.cli.common import CommandError, add_config, add_json, load_config, print_json

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "eval",
        help="score detection and reading on a labelled folder",
        description="Detection precision/recall at IoU 0.5, mean IoU and recall by labelled plate width; "
        "exact-plate and character accuracy on `ok` rows (uncertain rows apart; rows without text are scored "
        "for detection only); ms per image. `anpr train heldout --out DIR` writes the detector's held-out "
        "train photos as such a folder.",
    )
    p.add_argument("dir", type=Path, help="folder with the images (paths in labels.csv are relative to it)")
    p.add_argument("--labels", type=Path, default=None, help="labels CSV (default: DIR/labels.csv)")
    add_config(p, "config file (detector and reader sections)")
    p.add_argument("--model", default=None, help="detector ONNX file (overrides the config)")
    p.add_argument("--conf", type=float, default=None, help="detector score threshold (overrides the config)")
    p.add_argument("--no-reader", action="store_true", help="score detection only")
    p.add_argument("--no-detector", action="store_true", help="score the reader alone on the labelled boxes")
    p.add_argument(
        "--unboxed",
        choices=("auto", "crop", "detect"),
        default="auto",
        help="images without a box: read whole (crop), detect first (detect), or crop when small (auto)",
    )
    p.add_argument("--limit", type=int, default=None, help="first N images only")
    add_json(p, "print one JSON object instead of text")
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        help="also write summary.json, per_image.csv and an HTML page with plots and every miss here "
        "(needs matplotlib: the [report] extra)",
    )
    p.set_defaults(func=_eval)


def _build_reader(cfg: Any) -> Any:
    import importlib

    build = None
    for module in ("anpr.ocr", "anpr.ocr.factory"):  # the package export, or the module that defines it
        build = getattr(importlib.import_module(module), "build_reader", None)
        if build is not None:
            break
    if build is None:
        log.warning("no plate reader available (anpr.ocr has no build_reader): scoring detection only")
        return None
    try:
        return build(cfg.reader)
    except Exception as err:  # any load failure of an optional stage: say so, score what we can
        log.warning("plate reader could not be built (%s): scoring detection only", err)
        return None


def _eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    from anpr.detect import ModelError, build_detector
    from anpr.evaluate.metrics import summarize
    from anpr.evaluate.runner import LabelsError, evaluate_images, load_labels

    cfg = load_config(args)
    try:
        overrides: dict[str, Any] = {}
        if args.model:
            overrides["model"] = args.model
        if args.conf is not None:
            overrides["conf_threshold"] = args.conf
        det_cfg = cfg.detector.model_validate({**cfg.detector.model_dump(), **overrides})
        labels_path = args.labels or args.dir / "labels.csv"
        images = load_labels(labels_path)[: args.limit]
        detector = None if args.no_detector else build_detector(det_cfg)
    except (ModelError, LabelsError, ValueError) as err:  # ValueError: a --conf/--model the config refuses
        raise CommandError(f"eval: {err}") from None
    reader = None if args.no_reader else _build_reader(cfg)
    with logging_redirect_tqdm():  # log lines above the bar, never through it
        results = list(
            tqdm(
                evaluate_images(args.dir, images, detector, reader, args.unboxed),
                total=len(images),
                file=sys.stderr,
                disable=None if len(images) > 20 else True,
                desc="eval",
                unit="img",
            )
        )
    summary: dict[str, Any] = {
        "set": str(args.dir),
        "labels": str(labels_path),
        "detector": None if detector is None else {"version": detector.version, "conf": det_cfg.conf_threshold},
        "reader": None if reader is None else getattr(reader, "version", "reader"),
        **summarize(results, with_reader=reader is not None),
    }
    if args.report:
        from anpr.evaluate.report import ReportError, write_html

        _write_report(args.report, summary, results)
        try:
            page = write_html(args.report, args.dir, summary, results)
        except ReportError as err:
            raise CommandError(f"eval: {err}") from None
        print(f"report: {page}", file=sys.stderr)
    if args.json:
        print_json(summary)
    else:
        _print_text(summary)
    return 0


def _print_text(s: dict[str, Any]) -> None:
    from anpr.evaluate.moto import format_line as moto_line
    from anpr.evaluate.reliability import format_table
    from anpr.evaluate.widths import format_line

    c = s["counts"]
    print(f"{s['set']}: {c['images']} images, {c['plates']} plates {c['quality']}")
    if c["unreadable_images"]:
        shown = ", ".join(c["unreadable_files"])
        more = "" if c["unreadable_images"] <= len(c["unreadable_files"]) else ", ..."
        print(f"unreadable images (not scored): {c['unreadable_images']} ({shown}{more})")
    d = s["detection"]
    if d:
        print(
            f"detection  recall {d['recall']}  precision {d['precision']}  mean IoU {d['mean_iou']}"
            f"  (tp {d['tp']}, fp {d['fp']}, fn {d['fn']}; IoU >= 0.5)"
        )
        print(format_line(d["by_width"]))
    p = s["plate"]
    if p:
        u = p["uncertain"]
        print(f"plate (ok rows, n={p['n']})  exact {p['exact']}  char acc {p['char_acc']}  no read {p['no_read']}")
        print(f"plate (uncertain rows, n={u['n']})  exact {u['exact']}  char acc {u['char_acc']}")
        if p["confusions"]:
            top = ", ".join(f"{t}->{q} x{n}" for t, q, n in p["confusions"][:10])
            print(f"confusions (truth->read): {top}")
        if p["calibration"]:
            print("\n".join(format_table(p["calibration"])))
        print(moto_line(p["moto_misreads"]))
    print(f"ms per image  median {s['ms']['median']}  p95 {s['ms']['p95']}")


def _write_report(folder: Path, summary: dict[str, Any], results: list[Any]) -> None:
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    with (folder / "per_image.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "plates", "detections", "matched", "truth", "read", "ms"])
        for r in results:
            truth = " ".join(g.text for g in r.gt)
            read = " ".join((x.text if x else "-") for x in r.reads.values())
            w.writerow([r.file, len(r.gt), r.n_detections, len(r.matches), truth, read, f"{r.ms:.1f}"])
