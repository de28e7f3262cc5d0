"""`anpr train extract-ppocr|quantize-reader|quantize-detector|optimize-detector|detector-test-data|calibrate`.

The model files' build steps (the shipped reader models, the int8 variants, the DFL rewrite) and the
committed detector test inputs. Import-light: onnx, onnxruntime's quantiser and cv2 load in the handlers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_TRAIN_ROOT = Path("../shared/plates/train")
READER_SETS = ("chile_gate_overlay", "openalpr_br", "openalpr_eu", "openalpr_us")
DETECTOR_OPS = ("Conv", "Sigmoid", "Mul", "Add", "Concat", "Split", "MaxPool", "Resize")


def register_models(tsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    e = tsub.add_parser(
        "extract-ppocr",
        help="re-extract models/plate-reader.onnx (+ .sha256, dictionary) from the pinned rapidocr wheel",
        description="Takes ch_PP-OCRv4_rec_infer.onnx and its dictionary from rapidocr-onnxruntime 1.4.4, checking "
        "the wheel's and the model's sha256. Without --wheel it runs `pip download --no-deps` (PyPI).",
    )
    e.add_argument("--wheel", type=Path, default=None, help="a downloaded rapidocr_onnxruntime-1.4.4 wheel")
    e.add_argument("--out", type=Path, default=Path("models"), help="folder the model and dictionary go to")
    e.set_defaults(func=_cmd_extract)

    q = tsub.add_parser(
        "quantize-reader",
        help="static int8 reader model, calibrated on train crops (the defaults build models/plate-reader-int8.onnx)",
        description="Upgrades the opset, calibrates on plate crops of the train sets (never eval/) cut and "
        "pre-processed as the reader does, quantises (the CTC Softmax stays float) and reports the difference "
        "to fp32. Works on the PP-OCR reader and on the plate-trained CRNN.",
    )
    q.add_argument("--model", type=Path, default=Path("models/plate-reader.onnx"), help="fp32 reader model")
    q.add_argument("--out", type=Path, default=Path("models/plate-reader-int8.onnx"), help="int8 model to write")
    q.add_argument("--train-root", type=Path, default=DEFAULT_TRAIN_ROOT, help="train sets folder")
    q.add_argument("--sets", nargs="+", default=list(READER_SETS), help="train sets with boxes to calibrate on")
    q.add_argument("--max-per-set", type=int, default=60, help="most boxes taken from each set")
    q.add_argument("--seed", type=int, default=0, help="seed of the per-set box sample")
    q.add_argument("--opset", type=int, default=None, help="opset to upgrade to (>= 13; default the model's or 13)")
    q.add_argument("--format", choices=("qdq", "qoperator"), default="qdq", help="quantised graph format")
    q.add_argument("--calibrate", choices=("minmax", "entropy", "percentile"), default="percentile")
    q.add_argument("--percentile", type=float, default=99.999, help="percentile of the percentile method")
    q.add_argument(
        "--tile", type=int, default=96, help="entropy/percentile on a dynamic width: inputs cut into windows this wide"
    )
    q.add_argument("--no-per-channel", action="store_true", help="one scale per weight tensor")
    q.add_argument("--reduce-range", action="store_true", help="7-bit weights (for CPUs without VNNI)")
    q.add_argument("--ops", nargs="+", default=["Conv", "MatMul"], help="op types to quantise (Softmax stays float)")
    q.add_argument(
        "--quantize-first-conv",
        action="store_true",
        help="quantise the conv on the input too (default: kept in float; int8 there cost 7 points on train)",
    )
    q.add_argument("--exclude-head", action="store_true", help="keep the final MatMul (CTC classifier) in float")
    q.add_argument(
        "--no-fuse", action="store_true", help="leave hard-swish and the affine blocks as the quantiser wrote them"
    )
    q.set_defaults(func=_cmd_quantize_reader)

    d = tsub.add_parser(
        "quantize-detector",
        help="static int8 detector, calibrated on the train split (measured, not shipped: docs/performance.md)",
        description="Calibrates on train-split images (never eval/) letterboxed as the detector does; the Detect "
        "head's decoding stays float. --write-holdout DIR writes the held-out val split as a labels folder "
        "instead, to compare variants with `anpr eval DIR --no-reader --model FILE`.",
    )
    d.add_argument("--model", type=Path, default=Path("models/plate-detector.onnx"), help="fp32 detector model")
    d.add_argument("--out", type=Path, default=Path("models/plate-detector-int8.onnx"), help="int8 model to write")
    d.add_argument("--train-root", type=Path, default=DEFAULT_TRAIN_ROOT, help="train sets folder")
    d.add_argument("--sets", nargs="+", default=None, help="train sets to use (default: every set with labels.csv)")
    d.add_argument("--write-holdout", type=Path, default=None, help="write the held-out val folder here and stop")
    d.add_argument("--images", type=int, default=300, help="calibration images (train split)")
    d.add_argument("--seed", type=int, default=0, help="seed of the calibration image sample")
    d.add_argument("--chunk", type=int, default=10, help="images per calibration pass (bounds memory)")
    d.add_argument("--calibrate", choices=("minmax", "entropy", "percentile"), default="percentile")
    d.add_argument("--percentile", type=float, default=99.999, help="percentile of the percentile method")
    d.add_argument("--no-per-channel", action="store_true", help="one scale per weight tensor")
    d.add_argument("--reduce-range", action="store_true", help="7-bit weights (for CPUs without VNNI)")
    d.add_argument("--ops", nargs="+", default=list(DETECTOR_OPS), help="op types to quantise (head decoding: float)")
    d.add_argument(
        "--quantize-head-convs",
        action="store_true",
        help="quantise the 6 last 1x1 convs of the head too (default: float; int8 there moved boxes more)",
    )
    d.add_argument("--quantize-first-conv", action="store_true", help="quantise the conv on the input too")
    d.add_argument("--float-box-branch", action="store_true", help="keep the head's whole box branch (cv2.i) float")
    d.add_argument("--float-head", action="store_true", help="keep the whole Detect head (model.22) float")
    d.add_argument("--cache", type=Path, default=None, help="calibration cache file (reused when it exists)")
    d.set_defaults(func=_cmd_quantize_detector)

    o = tsub.add_parser(
        "optimize-detector",
        help="apply the DFL last-axis rewrite to an exported YOLOv8 ONNX file (checked, then written)",
        description="`anpr train detector` applies it at export; this applies it to an older export, and writes "
        "only if the outputs on random inputs are unchanged.",
    )
    o.add_argument("model", type=Path, help="exported detector model")
    o.add_argument("--out", type=Path, default=None, help="default: rewrite MODEL (and its .sha256) in place")
    o.set_defaults(func=_cmd_optimize)

    t = tsub.add_parser(
        "detector-test-data",
        help="rewrite the committed detector test scene and tests/data/eval_tiny (deterministic renders)",
    )
    t.add_argument("--out", type=Path, default=Path("tests/data"), help="folder (default tests/data)")
    t.set_defaults(func=_cmd_test_data)

    c = tsub.add_parser(
        "calibrate",
        help="fit the reader's confidence calibration (P(read is exact)) on train crops and renders",
        description="Reads the `ok` plates of Chilean train sets (on their labelled boxes; never eval/) and rendered "
        "plates with the configured reader, uncalibrated, fits an isotonic map from its raw score to the rate of "
        "exact reads (scikit-learn: the [calibrate] extra) and writes it beside the reader model "
        "(<model>.calibration.json), printing the reliability before and after.",
    )
    c.add_argument("-c", "--config", type=Path, default=None, help="config file (its [reader] section)")
    c.add_argument("--train-root", type=Path, default=DEFAULT_TRAIN_ROOT, help="train sets folder")
    c.add_argument("--sets", nargs="*", default=None, help="train sets with plate text (default: chile_gate_overlay)")
    c.add_argument("--renders", type=int, default=1500, help="rendered plates read too (0: none)")
    c.add_argument("--seed", type=int, default=0, help="seed of the renders")
    c.add_argument("--out", type=Path, default=None, help="table to write (default: beside the reader model)")
    c.set_defaults(func=_cmd_calibrate)


def _fail(err: Exception) -> int:
    print(f"error: {err}", file=sys.stderr)
    return 2


def _cmd_extract(args: argparse.Namespace) -> int:
    from anpr.train.ppocr_extract import extract, find_wheel
    from anpr.train.quantize import BuildError

    try:
        model, labels = extract(find_wheel(args.wheel), args.out)
    except (BuildError, OSError, KeyError) as err:
        return _fail(err)
    print(f"wrote {model} (+ .sha256) and its dictionary ({labels} labels)")
    return 0


def _cmd_quantize_reader(args: argparse.Namespace) -> int:
    from anpr.train.leakage import LeakageError
    from anpr.train.quantize import MAX_BYTES, BuildError
    from anpr.train.quantize_reader import ReaderQuantSettings, quantize_reader

    settings = ReaderQuantSettings(
        sets=tuple(args.sets), max_per_set=args.max_per_set, seed=args.seed, opset=args.opset, format=args.format,
        calibrate=args.calibrate, percentile=args.percentile, tile=args.tile, per_channel=not args.no_per_channel,
        reduce_range=args.reduce_range, ops=tuple(args.ops), quantize_first_conv=args.quantize_first_conv,
        exclude_head=args.exclude_head, fuse=not args.no_fuse,
    )  # fmt: skip
    if not args.model.is_file():
        return _fail(FileNotFoundError(f"{args.model}: no such model; `anpr train extract-ppocr` writes the fp32 one"))
    try:
        res = quantize_reader(args.model, args.out, args.train_root, settings)
    except (BuildError, LeakageError, OSError) as err:
        return _fail(err)
    print(f"wrote {res.path} (+ .sha256): {res.bytes:,} bytes, sha256 {res.sha256}")
    print(f"max abs output diff int8 vs fp32 on the calibration crops: {res.max_abs_diff:.4f}")
    if res.bytes >= MAX_BYTES:
        print(f"warning: the int8 model is not under {MAX_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


def _cmd_quantize_detector(args: argparse.Namespace) -> int:
    from anpr.train.heldout import write_heldout
    from anpr.train.quantize import MAX_BYTES, BuildError
    from anpr.train.quantize_detector import DetectorQuantSettings, labelled_sets, quantize_detector

    try:
        sets = args.sets or labelled_sets(args.train_root)
        if args.write_holdout:  # the same folder as `anpr train heldout --out DIR`
            per_set = write_heldout(args.train_root, sets, args.write_holdout)
            print(f"wrote {args.write_holdout}/labels.csv: {sum(per_set.values())} boxes {per_set}")
            return 0
        settings = DetectorQuantSettings(
            images=args.images, seed=args.seed, chunk=args.chunk, calibrate=args.calibrate,
            percentile=args.percentile, per_channel=not args.no_per_channel, reduce_range=args.reduce_range,
            ops=tuple(args.ops), quantize_head_convs=args.quantize_head_convs,
            quantize_first_conv=args.quantize_first_conv, float_box_branch=args.float_box_branch,
            float_head=args.float_head, cache=args.cache,
        )  # fmt: skip
        res = quantize_detector(args.model, args.out, args.train_root, sets, settings)
    except (BuildError, OSError, ValueError) as err:
        return _fail(err)
    print(f"wrote {res.path} (+ .sha256): {res.bytes:,} bytes, sha256 {res.sha256}")
    print(f"max abs diff int8 vs fp32 on 16 calibration images: boxes {res.box_diff_px:.2f} px, "
          f"scores {res.score_diff:.3f}")  # fmt: skip
    if res.bytes >= MAX_BYTES:
        print(f"warning: the int8 model is not under {MAX_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


def _cmd_optimize(args: argparse.Namespace) -> int:
    from anpr.train.onnx_dfl import optimize_file

    out = args.out or args.model
    try:
        digest, worst = optimize_file(args.model, out)
    except (ValueError, OSError) as err:
        return _fail(err)
    print(f"max abs output difference on 3 random inputs: {worst:g}")
    print(f"wrote {out} (sha256 {digest}) and its .sha256")
    return 0


def _cmd_test_data(args: argparse.Namespace) -> int:
    from anpr.train.fixtures import write_detector_test_data

    scene, box = write_detector_test_data(args.out)
    print(f"wrote {scene} (plate {box}) and {args.out / 'eval_tiny'}")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    import importlib.util
    from datetime import UTC, datetime

    from anpr.cli.common import load_config
    from anpr.core.onnx_model import ModelError, file_sha256
    from anpr.evaluate.reliability import format_table
    from anpr.ocr import calibration
    from anpr.ocr.factory import build_reader
    from anpr.train.calibrate import DEFAULT_SETS, CalibrateError, fit, render_samples, set_samples, summary
    from anpr.train.leakage import LeakageError

    if importlib.util.find_spec("sklearn") is None:  # before minutes of reading, not after
        return _fail(CalibrateError("scikit-learn is needed to fit: pip install -e '.[calibrate]'"))
    cfg = load_config(args)
    sets = DEFAULT_SETS if args.sets is None else tuple(args.sets)
    reader_cfg = cfg.reader.model_copy(update={"calibration": None})  # raw scores in, whatever is configured
    model = Path(reader_cfg.crnn_model if reader_cfg.backend == "crnn" else reader_cfg.model)
    try:
        reader = build_reader(reader_cfg)
        samples = [s for name in sets for s in set_samples(reader, args.train_root / name)]
        samples += list(render_samples(reader, args.renders, args.seed))
        calib = fit(samples, model.name, file_sha256(model))
    except (CalibrateError, LeakageError, ModelError, OSError) as err:
        return _fail(err)
    report = summary(samples, calib)
    out = args.out or calibration.default_path(model)
    extra = {
        "fitted": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "score": "least character probability of the decoded plate (reader.min_confidence's scale)",
        "fitted_on": {
            "sets": list(sets),
            "renders": args.renders,
            "seed": args.seed,
            "reads": {k: v.reads for k, v in report.items()},
        },
        "method": "sklearn.isotonic.IsotonicRegression, linear between knots",
    }
    try:
        out.write_text(calib.to_json(extra), encoding="utf-8")
    except OSError as err:
        return _fail(err)
    for name, part in report.items():
        print(f"{name}: {part.reads} reads, exact {part.exact}")
        for label, rel in (("raw", part.raw), ("calibrated", part.calibrated)):
            if rel is not None:
                print(f" {label}: " + "\n ".join(format_table(rel)))
    print(f"wrote {out} ({len(calib.x)} knots)")
    return 0
