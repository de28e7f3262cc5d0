#!/usr/bin/env python3
"""Fine-tune the plate detector on a GPU box and export it: the one script the lead runs there.

Needs only torch, ultralytics==8.3.150, onnx, onnxslim, opencv (no `anpr` install, no internet):

    PYTHONPATH=. python scripts/gpu_train_detector.py DATA_DIR $OUT --minutes 8 --weights fastanpr-best.pt

DATA_DIR is a folder made by `anpr train dataset` (it holds data.yaml). Writes into OUT:
plate-detector-{320,416,512,640}.onnx (+ .sha256), best.pt, results.csv, args.yaml, train.log.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from anpr.train import detector as d  # stdlib-only module; the path above makes it importable)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="dataset folder with data.yaml")
    ap.add_argument("out", type=Path, help="where exports, best.pt and results.csv go")
    ap.add_argument("--minutes", type=float, default=8.0, help="training time budget (ultralytics time=)")
    ap.add_argument(
        "--epochs",
        type=int,
        default=200,
        help="ignored by ultralytics while a time budget is set (it fits the epochs to the budget)",
    )
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--device", default="0")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--lr0", type=float, default=0.002)
    ap.add_argument("--weights", type=Path, default=None, help="starting .pt (default: from --base-wheel)")
    ap.add_argument("--base-wheel", type=Path, default=None, help="fastanpr-0.1.13 wheel holding best.pt")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(d.EXPORT_SIZES))
    ap.add_argument("--no-cache", action="store_true", help="read images from disk each epoch")
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(args.out / "train.log")],
    )
    if not (args.data / "data.yaml").is_file():
        print(f"error: {args.data}/data.yaml not found; make the folder with `anpr train dataset`", file=sys.stderr)
        return 2
    # Before ultralytics is first imported: it reads these variables once, at import.
    try:  # fail in seconds, not after the machine's time is spent
        d.offline_env(args.out / "work" / "ultralytics-config")
        import torch
        import ultralytics
    except ImportError as err:
        print(
            f"error: {err}; install the [train] pieces (ultralytics==8.3.150 --no-deps, onnx, onnxslim)",
            file=sys.stderr,
        )
        return 2
    logging.info(
        "torch %s, ultralytics %s, cuda %s", torch.__version__, ultralytics.__version__, torch.cuda.is_available()
    )
    if args.device != "cpu" and not torch.cuda.is_available():
        print(f"error: --device {args.device} but torch sees no CUDA device", file=sys.stderr)
        return 2
    weights = args.weights
    if weights is None:
        if args.base_wheel is None:
            print("error: give --weights PT or --base-wheel WHEEL (no internet here to fetch it)", file=sys.stderr)
            return 2
        weights = d.base_weights(args.out / "cache", args.base_wheel)
    work = args.out / "work"
    settings = d.TrainSettings(
        epochs=args.epochs,
        time_hours=args.minutes / 60.0,
        imgsz=args.imgsz,
        batch=args.batch,
        device=args.device,
        workers=args.workers,
        lr0=args.lr0,
        cache=not args.no_cache,
    )
    t0 = time.time()
    best = d.train(args.data / "data.yaml", work, weights, settings)
    logging.info("training took %.0f s", time.time() - t0)
    run = best.parent.parent
    shutil.copy2(best, args.out / "best.pt")
    for name in ("results.csv", "args.yaml"):
        if (run / name).is_file():
            shutil.copy2(run / name, args.out / name)
    for size in args.sizes:
        try:
            d.export_onnx(best, size, args.out / f"plate-detector-{size}.onnx")
        except Exception:  # keep the other sizes if one fails; the log has the traceback
            logging.exception("export at %d failed", size)
    shutil.rmtree(work / "ultralytics-config", ignore_errors=True)
    print(f"done in {time.time() - t0:.0f} s; outputs in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
