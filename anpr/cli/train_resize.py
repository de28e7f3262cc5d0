"""`anpr train resize-detector`: the shipped detector's weights at another input size (ONNX graph surgery).

Import-light: onnx, onnxruntime and cv2 load in the handler.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_TRAIN_ROOT = Path("../shared/plates/train")


def register_resize(tsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = tsub.add_parser(
        "resize-detector",
        help="the same YOLOv8 detector at another input size (512, 640x384), by rewriting its ONNX graph",
        description="Changes the input shape, the Detect head's anchor points and strides and the anchor-count "
        "shape constants (anpr/train/onnx_resize.py), then checks the result against MODEL on train photos "
        "(never eval/): each photo letterboxed to SIZE, and the same pixels top-left in a grey MODEL-size "
        "canvas, must give the same detections. Writes OUT and its .sha256 only if they do.",
    )
    r.add_argument(
        "--size",
        required=True,
        help="new input: a square side (512) or WIDTHxHEIGHT (640x384, a 16:9 camera at the 640 model's scale), "
        "multiples of 32",
    )
    r.add_argument("--model", type=Path, default=Path("models/plate-detector.onnx"), help="detector to resize")
    r.add_argument("--out", type=Path, default=None, help="default: models/plate-detector-SIZE.onnx")
    r.add_argument("--train-root", type=Path, default=DEFAULT_TRAIN_ROOT, help="photos to check on (*/images/*)")
    r.add_argument("--check", type=int, default=24, help="photos to check on (0: write unchecked)")
    r.add_argument("--tolerance-px", type=float, default=2.0, help="largest corner difference of a matched box")
    r.set_defaults(func=_cmd_resize)


def _fail(err: Exception) -> int:
    print(f"error: {err}", file=sys.stderr)
    return 2


def _cmd_resize(args: argparse.Namespace) -> int:
    from anpr.train.onnx_resize import ResizeError, label, parse_size, resize_file, sample_photos

    try:
        size = parse_size(args.size)
    except ValueError as err:
        return _fail(err)
    out = args.out or args.model.with_name(f"plate-detector-{label(size)}.onnx")
    if not args.model.is_file():
        return _fail(FileNotFoundError(f"{args.model}: no such model"))
    try:
        photos = sample_photos(args.train_root, args.check) if args.check > 0 else []
        res = resize_file(args.model, out, size, photos, args.tolerance_px)
    except (ResizeError, OSError) as err:
        return _fail(err)
    if res.check is None:
        print("not checked (--check 0)")
    else:
        c = res.check
        n_small, n_big, matched = c.detections
        print(f"checked on {c.images} photos against {args.model} (same pixels, top-left in its grey canvas):")
        print(f"  detections {n_small} vs {n_big}, matched {matched}: corners within {c.det_box_px:.2f} px, "
              f"scores within {c.det_score:.3f}")  # fmt: skip
        print(f"  raw outputs, shared anchors: boxes (score >= 0.05) within {c.box_px:.2f} px; scores within "
              f"{c.score:.4f} >= {c.margin} px inside the right/bottom edge, {c.score_edge:.4f} up to it")  # fmt: skip
    print(f"wrote {res.path} ({res.bytes:,} bytes, {res.anchors} anchors, sha256 {res.sha256}) and its .sha256")
    return 0
