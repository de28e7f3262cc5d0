"""`anpr train dataset|heldout|detector|export|ship`: build the plate detector (the [train] extra).

The recognizer's commands are in anpr/cli/train_recognizer.py, the model files' build steps (extract,
quantise, optimise, test data) in anpr/cli/train_models.py, the detector's resize in anpr/cli/train_resize.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from anpr.cli.common import add_output
from anpr.core.onnx_model import write_sha256

log = logging.getLogger(__name__)

DEFAULT_TRAIN_ROOT = "../shared/plates/train"
DEFAULT_EVAL_SETS = ("../shared/plates/eval/chile_gate",)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("train", help="build models (needs the [train] extra: ultralytics, torch)")
    tsub = p.add_subparsers(dest="train_command", metavar="WHAT", required=True)

    d = tsub.add_parser("dataset", help="convert labelled sets into a YOLO dataset folder")
    _dataset_args(d)
    d.add_argument("--out", type=Path, required=True, help="output folder (replaced)")
    d.set_defaults(func=_cmd_dataset)

    h = tsub.add_parser(
        "heldout",
        help="write the detector's held-out train photos (the dataset's fixed val split) as a labelled folder",
        description="The real photos of the train sets that `anpr train dataset` puts in val (a fixed 90/10 split "
        "by source photo, romania_dashcam by ride), one row per labelled box in the shared labels format, set "
        "folders linked, not copied. Then `anpr eval DIR --no-reader` gives the detector's recall on photos it "
        "never trained on, by plate width.",
    )
    add_output(h, "folder to write labels.csv and the set links into", required=True)
    h.add_argument("--train-root", type=Path, default=Path(DEFAULT_TRAIN_ROOT), help="folder of real labelled sets")
    h.add_argument("--sets", nargs="+", default=None, help="train sets to take (default: every set with labels.csv)")
    h.set_defaults(func=_cmd_heldout)

    t = tsub.add_parser("detector", help="dataset → fine-tune → ONNX export → eval → model card")
    _dataset_args(t)
    t.add_argument("--data", type=Path, default=None, help="an existing dataset folder (skips building one)")
    t.add_argument("--out", type=Path, default=Path("build/detector"), help="work folder (runs, exports)")
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--time", type=float, default=None, help="training budget in hours (overrides --epochs)")
    t.add_argument("--imgsz", type=int, default=640, help="training input size")
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--device", default="cpu", help="cpu, or a CUDA index such as 0")
    t.add_argument("--weights", type=Path, default=None, help="start from this .pt (default: fastanpr's best.pt)")
    t.add_argument("--base-wheel", type=Path, default=None, help="a local fastanpr-0.1.13 wheel (else pip download)")
    t.add_argument("--sizes", type=int, nargs="+", default=[640, 416], help="ONNX export sizes to measure")
    t.add_argument("--ship", type=int, default=None, help="export size copied to models/ (default: first of --sizes)")
    t.add_argument("--models", type=Path, default=Path("models"), help="where the shipped model and card go")
    t.add_argument("--eval", nargs="*", default=list(DEFAULT_EVAL_SETS), help="labelled sets to report in the card")
    t.set_defaults(func=_cmd_detector)

    ex = tsub.add_parser("export", help="export a .pt (default: fastanpr's best.pt, unchanged) to ONNX sizes")
    ex.add_argument("--weights", type=Path, default=None, help="checkpoint to export (default: fastanpr's best.pt)")
    ex.add_argument("--base-wheel", type=Path, default=None, help="a local fastanpr-0.1.13 wheel (else pip download)")
    ex.add_argument("--sizes", type=int, nargs="+", default=[640, 416])
    ex.add_argument("--out", type=Path, default=Path("build/detector"))
    ex.set_defaults(func=_cmd_export)

    sh = tsub.add_parser("ship", help="measure ONNX exports, copy the chosen one to models/ and write its card")
    sh.add_argument("onnx", type=Path, nargs="+", help="exported models (each with its .sha256 sidecar)")
    sh.add_argument("--ship", type=int, default=None, help="input size to ship (default: the first model's)")
    sh.add_argument("--models", type=Path, default=Path("models"))
    sh.add_argument("--eval", nargs="*", default=list(DEFAULT_EVAL_SETS), help="labelled sets to report")
    sh.add_argument("--results", type=Path, default=None, help="ultralytics results.csv of the run")
    sh.add_argument("--data", type=Path, default=None, help="the dataset folder (its manifest.json goes in the card)")
    sh.add_argument("--base", default=None, help="starting weights, in words (default: fastanpr's best.pt)")
    sh.add_argument("--note", action="append", default=[], help="a line for the card (repeatable)")
    sh.set_defaults(func=_cmd_ship)

    from anpr.cli.train_models import register_models
    from anpr.cli.train_reader import register_reader_head
    from anpr.cli.train_recognizer import register_recognizer
    from anpr.cli.train_resize import register_resize

    register_recognizer(tsub)
    register_reader_head(tsub)
    register_models(tsub)
    register_resize(tsub)


def _dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train-root", type=Path, default=Path(DEFAULT_TRAIN_ROOT), help="folder of real labelled sets")
    p.add_argument("--extra", type=Path, nargs="*", default=[], help="more sets in the same format (synthetic)")
    p.add_argument("--max-side", type=int, default=640, help="longest image side kept (px)")
    p.add_argument(
        "--extra-max-side", type=int, default=None, help="longest side for --extra sets (default: --max-side)"
    )
    p.add_argument("--extra-every", type=int, default=1, help="keep every N-th image of the --extra sets")
    p.add_argument("--quality", type=int, default=75, help="image quality 1-100")
    p.add_argument("--format", choices=("webp", "jpg"), default="webp", help="image format (webp: ~30%% smaller)")


def _build(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    from anpr.train.dataset import build_dataset, default_sets

    report: dict[str, Any] = build_dataset(
        out,
        default_sets(args.train_root),
        args.extra,
        args.max_side,
        args.quality,
        args.format,
        args.extra_max_side,
        args.extra_every,
    ).as_dict()
    print(f"dataset {out}: {sum(report['images'].values())} images, {report['bytes'] / 1e6:.1f} MB", file=sys.stderr)
    return report


def _cmd_dataset(args: argparse.Namespace) -> int:
    try:
        report = _build(args, args.out)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for k, v in sorted(report["images"].items()):
        print(f"{k:32s} {v:5d} images {report['boxes'][k]:5d} boxes")
    return 0


def _cmd_heldout(args: argparse.Namespace) -> int:
    from anpr.train.dataset import default_sets
    from anpr.train.heldout import write_heldout

    try:
        sets = args.sets or [p.name for p in default_sets(args.train_root)]
        per_set = write_heldout(args.train_root, sets, Path(args.output))
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}/labels.csv: {sum(per_set.values())} boxes {per_set}")
    print(f"measure: anpr eval {shlex.quote(str(args.output))} --no-reader")
    return 0


def _measure(onnx: Path, eval_sets: list[str]) -> tuple[int, dict[str, Any], float]:
    """(input size, eval summaries, ms per 1080p frame) of one exported model."""
    import cv2
    import numpy as np

    from anpr.detect import build_detector
    from anpr.detect.config import DetectorConfig
    from anpr.evaluate.metrics import summarize
    from anpr.evaluate.runner import evaluate_images, load_labels

    det = build_detector(DetectorConfig(model=str(onnx)))
    evals = {}
    for s in eval_sets:
        root = Path(s)
        evals[root.name] = summarize(evaluate_images(root, load_labels(root / "labels.csv"), det, None), False)
    noise = np.random.default_rng(0).integers(0, 255, (540, 960, 3), dtype=np.uint8)
    frame = np.asarray(cv2.resize(noise, (1920, 1080)), dtype=np.uint8)
    det.detect(frame)
    t0 = time.perf_counter()
    for _ in range(10):
        det.detect(frame)
    return det.input_w, evals, (time.perf_counter() - t0) * 100.0


def _ship(
    exports: list[Path],
    ship: int | None,
    models: Path,
    eval_sets: list[str],
    *,
    base: str,
    training: dict[str, Any],
    dataset: dict[str, Any],
    notes: tuple[str, ...] = (),
) -> int:
    """Measure every export, copy the chosen size to models/ with its sha256 sidecar, write the card."""
    from anpr.train.card import CardInfo, write_card

    measured = {}
    for path in exports:
        size, evals, ms = _measure(path, eval_sets)
        measured[size] = (path, evals, ms)
        print(f"imgsz {size}: {ms:.1f} ms/1080p frame; " + "; ".join(f"{k} {v['detection']}" for k, v in evals.items()))
    size = ship or next(iter(measured))
    if size not in measured:
        print(f"error: no export at imgsz {size} (have {sorted(measured)})", file=sys.stderr)
        return 2
    models.mkdir(parents=True, exist_ok=True)
    target = models / "plate-detector.onnx"
    tmp = target.with_suffix(".tmp")
    shutil.copy2(measured[size][0], tmp)
    tmp.replace(target)
    digest = write_sha256(target)
    command = "anpr " + shlex.join(sys.argv[1:]) if Path(sys.argv[0]).name == "anpr" else shlex.join(sys.argv)
    write_card(
        models / "plate-detector.md",
        CardInfo(
            onnx=target,
            sha256=digest,
            imgsz=size,
            base=base,
            command=command,
            training=training,
            dataset=dataset,
            evals=measured[size][1],
            speed_ms={s: m[2] for s, m in measured.items()},
            notes=notes,
        ),
    )
    print(f"shipped {target} (imgsz {size}, sha256 {digest[:16]}…) and its card")
    return 0


def _manifest(data: Path) -> dict[str, Any]:
    f = data / "manifest.json"
    return json.loads(f.read_text()) if f.is_file() else {"folder": str(data)}


def _cmd_detector(args: argparse.Namespace) -> int:
    from anpr.train import detector as d

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    data = args.data or out / "dataset"
    if args.data is None:
        try:
            _build(args, data)
        except (OSError, ValueError) as err:  # an eval folder or eval image among the sets, a missing set
            print(f"error: {err}", file=sys.stderr)
            return 2
    weights = args.weights or d.base_weights(out / "cache", args.base_wheel)
    settings = d.TrainSettings(
        epochs=args.epochs, time_hours=args.time, imgsz=args.imgsz, batch=args.batch, device=args.device
    )
    best = d.train(data / "data.yaml", out, weights, settings)
    exports = [d.export_onnx(best, s, out / f"plate-detector-{s}.onnx") for s in args.sizes]
    return _ship(
        exports,
        args.ship,
        args.models,
        args.eval,
        base=d.BASE_DESCRIPTION if args.weights is None else str(args.weights),
        training={**settings.__dict__, "best": str(best)},
        dataset=_manifest(data),
    )


def _cmd_export(args: argparse.Namespace) -> int:
    from anpr.train import detector as d

    weights = args.weights or d.base_weights(args.out / "cache", args.base_wheel)
    for size in args.sizes:
        print(d.export_onnx(weights, size, args.out / f"plate-detector-{size}.onnx"))
    return 0


def _cmd_ship(args: argparse.Namespace) -> int:
    """Ship exports made elsewhere (e.g. by `python -m anpr.train.gpu_detector` on a GPU box)."""
    from anpr.train import detector as d

    training: dict[str, Any] = {"where": "python -m anpr.train.gpu_detector"}
    if args.results and args.results.is_file():
        rows = args.results.read_text().strip().splitlines()
        training["epochs_run"] = len(rows) - 1
        training["last_results_row"] = dict(
            zip([c.strip() for c in rows[0].split(",")], rows[-1].split(","), strict=False)
        )
    return _ship(
        args.onnx,
        args.ship,
        args.models,
        args.eval,
        base=args.base or d.BASE_DESCRIPTION,
        training=training,
        dataset=_manifest(args.data) if args.data else {},
        notes=tuple(args.note),
    )
