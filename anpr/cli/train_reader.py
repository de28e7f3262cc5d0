"""`anpr train reader-head`: fine-tune the PP-OCR reader's neck and give it a plate head (CPU, minutes).

Import-light: torch, onnx2torch and the training modules are imported inside the handler.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

DEFAULT_TRAIN_ROOT = "../shared/plates/train"
log = logging.getLogger(__name__)


def register_reader_head(tsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = tsub.add_parser(
        "reader-head",
        help="fine-tune the PP-OCR reader's neck + a plate head on renders and real train crops (torch, CPU)",
        description="Writes OUT/plate-reader-chile.onnx (+ .sha256, metrics.json). Features are cached and the "
        "fit is checkpointed after each epoch in OUT: --resume goes on with a run that was cut short. Needs "
        "torch and onnx2torch (the [train] extra); never reads ../shared/plates/eval.",
    )
    p.add_argument("--out", type=Path, default=Path("build/reader_head"), help="run folder")
    p.add_argument("--train-root", type=Path, default=Path(DEFAULT_TRAIN_ROOT), help="real labelled sets")
    p.add_argument("--models", type=Path, default=Path("models"), help="folder with the base reader models")
    p.add_argument("--renders", type=int, default=12000, help="rendered crops (default 12000)")
    p.add_argument("--night-share", type=float, default=0.5, help="share of renders made night IR")
    p.add_argument(
        "--real-glyphs", type=float, default=0.8, help="share of renders in glyphs cut from real train plates"
    )
    p.add_argument("--real-variants", type=int, default=6, help="day crops per real box")
    p.add_argument("--real-night-variants", type=int, default=6, help="night copies per real box")
    p.add_argument(
        "--glints", type=float, default=0.0, help="share of crops given bright rivet glints (0: none, as before)"
    )
    p.add_argument("--minutes", type=float, default=25.0, help="time budget of the fit")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--no-neck", action="store_true", help="train the plate head only (the neck stays int8)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="go on with the run in --out")
    p.set_defaults(func=_cmd_reader_head)


def _cmd_reader_head(args: argparse.Namespace) -> int:
    try:
        from anpr.train.head_data import HeadSettings
        from anpr.train.head_run import RunSettings, run
    except ImportError as err:  # pragma: no cover - depends on the installed extras
        print(f"error: {err}; install the [train] extra (torch, onnx2torch)", file=sys.stderr)
        return 2
    data = HeadSettings(
        renders=args.renders,
        night_share=args.night_share,
        real_glyph_share=args.real_glyphs,
        real_variants=args.real_variants,
        real_night_variants=args.real_night_variants,
        glint_share=args.glints,
        seed=args.seed,
    )
    settings = RunSettings(data, args.minutes, args.epochs, neck=not args.no_neck, threads=args.threads)
    try:
        metrics = run(args.out, args.train_root, args.models, settings, args.resume)
    except ImportError as err:
        print(f"error: {err}; install the [train] extra (torch, onnx2torch)", file=sys.stderr)
        return 2
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    last = metrics["history"][-1]
    print(json.dumps({k: metrics[k] for k in ("model", "sha256", "rows", "best_epoch", "fit_seconds")}, indent=1))
    print(f"last epoch: {last}")
    return 0
