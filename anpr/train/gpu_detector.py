"""Fine-tune the plate detector on a GPU box and export it: what the lead runs there.

Runs from a checkout with no `anpr` install and no internet: it needs only torch, ultralytics==8.3.150,
onnx, onnxslim and opencv (this module imports nothing of `anpr` but `anpr.train.detector` and the hash
helpers, all stdlib at import). From the repository root, with build/yolo_ds made by `anpr train dataset`
and .whl/ holding the ultralytics-8.3.150, ultralytics_thop, onnxslim and fastanpr-0.1.13 wheels:

    python -m anpr.train.gpu_detector build/yolo_ds "$OUT" --minutes 8 --device 0 --workers 8 \
        --install-wheels .whl --base-wheel .whl/fastanpr-0.1.13-py3-none-any.whl

Writes into OUT: plate-detector-{320,416,512,640}.onnx (+ .sha256), best.pt, results.csv, args.yaml,
train.log. Ship them afterwards on the dev box: `anpr train ship OUT/plate-detector-640.onnx ...`.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

from anpr.train import detector as d

NEEDED = (
    "torch", "torchvision", "cv2", "onnx", "onnxslim", "pandas", "matplotlib", "yaml", "scipy", "psutil",
    "cpuinfo", "requests", "PIL", "ultralytics",
)  # fmt: skip
WHEELS = ("ultralytics-8.3.150-py3-none-any.whl", "ultralytics_thop-*.whl", "onnxslim-*.whl")


def install_wheels(folder: Path) -> None:
    """pip-install the training wheels that a bare GPU image lacks, from `folder`, offline and without deps."""
    files = [str(w) for pattern in WHEELS for w in sorted(folder.glob(pattern))]
    if files:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", *files], check=False)


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m anpr.train.gpu_detector",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    ap.add_argument("--install-wheels", type=Path, default=None, help="pip-install ultralytics & co from here first")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(d.EXPORT_SIZES))
    ap.add_argument("--no-cache", action="store_true", help="read images from disk each epoch")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.install_wheels:
        install_wheels(args.install_wheels)
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing:  # fail in seconds, not after the machine's time is spent
        print(f"error: missing python modules {missing}; install the [train] pieces", file=sys.stderr)
        return 2
    if not (args.data / "data.yaml").is_file():
        print(f"error: {args.data}/data.yaml not found; make the folder with `anpr train dataset`", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(args.out / "train.log")],
    )
    # Before ultralytics is first imported: it reads these variables once, at import.
    d.offline_env(args.out / "work" / "ultralytics-config")
    import torch
    import ultralytics

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
