#!/usr/bin/env python3
"""Static int8 quantisation of the PP-OCRv4 plate reader (models/plate-reader.onnx).

Steps, each printed as it runs:

1. upgrade the model to opset >= 13 (per-channel DequantizeLinear needs `axis`) and check the upgraded
   fp32 model gives the same outputs as the original on a few calibration crops;
2. onnxruntime's quantisation pre-processing (constant folding, shape inference);
3. calibrate on plate crops from the *train* sets only (never `eval/`): each labelled box is cut and
   pre-processed exactly as the reader does at run time (`preprocess.crop` with the reader's margins,
   then `preprocess.prepare`), one crop per batch at its own width;
4. `quantize_static` (QDQ or QOperator, per-channel S8 weights, U8 activations by default); the CTC
   head's Softmax always stays float (its small probabilities feed the grammar decoder), optionally
   the first conv and the final MatMul too;
5. copy the character dictionary metadata, save, and print size, sha256 and the output difference
   to fp32 on the calibration crops.

The defaults (QDQ, percentile 99.999 calibration on 96-px windows, per-channel, first conv, attention
and CTC Softmax in float) build the shipped models/plate-reader-int8.onnx:
    python scripts/quantize_reader.py
Other variants, e.g.:
    python scripts/quantize_reader.py --calibrate minmax --quantize-first-conv --out /tmp/minmax.onnx
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from anpr.core.onnx_model import file_sha256  # noqa: E402
from anpr.ocr import preprocess  # noqa: E402
from anpr.ocr.config import ReaderConfig  # noqa: E402
from anpr.ocr.ppocr import model_inputs  # noqa: E402
from anpr.types import Detection, Image  # noqa: E402

DEFAULT_SETS = ("chile_gate_overlay", "openalpr_br", "openalpr_eu", "openalpr_us")
CALIBRATION = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}
FORMATS = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}

Tensor = npt.NDArray[np.float32]


def calibration_inputs(train_root: Path, sets: list[str], max_per_set: int, seed: int) -> list[Tensor]:
    """Model inputs (3×48×W each) for the labelled boxes of `sets`, made as the reader makes them."""
    import cv2

    if "eval" in train_root.resolve().parts:
        raise SystemExit(f"refusing to calibrate on {train_root}: eval sets are for measuring only")
    cfg = ReaderConfig()
    rng = random.Random(seed)
    inputs: list[Tensor] = []
    for name in sets:
        root = train_root / name
        with open(root / "labels.csv", newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r.get("x1") and r.get("quality", "ok") != "unreadable"]
        rng.shuffle(rows)
        taken = 0
        for row in rows:
            if taken >= max_per_set:
                break
            raw = cv2.imread(str(root / row["file"]))
            if raw is None:
                continue
            image: Image = np.asarray(raw, dtype=np.uint8)
            x1, y1, x2, y2 = (float(row[k]) for k in ("x1", "y1", "x2", "y2"))
            plate = preprocess.crop(image, Detection((x1, y1, x2, y2), 1.0), (cfg.margin_x, cfg.margin_y))
            if plate is None or min(plate.shape[:2]) < preprocess.MIN_SIDE:
                continue
            inputs.extend(model_inputs(plate, cfg))
            taken += 1
        print(f"  {name}: {taken} boxes")
    return inputs


def tiles(inputs: list[Tensor], width: int) -> list[Tensor]:
    """Non-overlapping windows `width` wide of each input (the remainder dropped; narrower inputs padded)."""
    out: list[Tensor] = []
    for x in inputs:
        if x.shape[2] < width:
            x = np.pad(x, ((0, 0), (0, 0), (0, width - x.shape[2])))
        out.extend(np.ascontiguousarray(x[:, :, i : i + width]) for i in range(0, x.shape[2] - width + 1, width))
    return out


class CropReader(CalibrationDataReader):  # type: ignore[misc]
    """Feeds the calibration inputs one crop per batch (the model's width is dynamic)."""

    def __init__(self, input_name: str, inputs: list[Tensor]) -> None:
        self.input_name = input_name
        self.inputs = inputs
        self._it: Iterator[Tensor] = iter(inputs)

    def get_next(self) -> dict[str, Tensor] | None:
        x = next(self._it, None)
        return None if x is None else {self.input_name: x[None]}

    def rewind(self) -> None:
        self._it = iter(self.inputs)


def session(path: Path, threads: int = 2) -> ort.InferenceSession:
    """A CPU session on `path`."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def max_diff(a: Path, b: Path, inputs: list[Tensor]) -> float:
    """Largest absolute output difference of two models over `inputs`."""
    sa, sb = session(a), session(b)
    name = sa.get_inputs()[0].name
    return max(float(np.abs(sa.run(None, {name: x[None]})[0] - sb.run(None, {name: x[None]})[0]).max()) for x in inputs)


def name_nodes(model: onnx.ModelProto) -> None:
    """Give every unnamed node a unique name (the quantiser excludes nodes by name)."""
    seen = {n.name for n in model.graph.node if n.name}
    for i, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{i}"
            while name in seen:
                name += "_"
            node.name = name
            seen.add(name)


def excluded_nodes(model: onnx.ModelProto, first_conv: bool, head: bool) -> list[str]:
    """Names of the nodes kept in float: the Softmax always; optionally the first conv and the last MatMul."""
    nodes = list(model.graph.node)
    out = [n.name for n in nodes if n.op_type == "Softmax"]
    if first_conv:
        inp = model.graph.input[0].name
        out += [n.name for n in nodes if n.op_type == "Conv" and inp in n.input][:1]
    if head:
        out += [n.name for n in nodes if n.op_type in ("MatMul", "Gemm")][-1:]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=REPO / "models/plate-reader.onnx", help="fp32 reader model")
    ap.add_argument("--out", type=Path, default=REPO / "models/plate-reader-int8.onnx", help="int8 model to write")
    ap.add_argument("--train-root", type=Path, default=Path("/work/shared/plates/train"), help="train sets folder")
    ap.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS), help="train sets with boxes to calibrate on")
    ap.add_argument("--max-per-set", type=int, default=60, help="most boxes taken from each set")
    ap.add_argument("--seed", type=int, default=0, help="seed of the per-set box sample")
    ap.add_argument("--opset", type=int, default=13, help="opset to upgrade to (>= 13)")
    ap.add_argument("--format", choices=sorted(FORMATS), default="qdq", help="quantised graph format")
    ap.add_argument("--calibrate", choices=sorted(CALIBRATION), default="percentile", help="calibration method")
    ap.add_argument("--percentile", type=float, default=99.999, help="percentile of the percentile method")
    ap.add_argument(
        "--tile",
        type=int,
        default=96,
        help="entropy/percentile only: inputs are cut into windows this wide (their histograms need one shape)",
    )
    ap.add_argument("--no-per-channel", action="store_true", help="one scale per weight tensor")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (for CPUs without VNNI)")
    ap.add_argument(
        "--ops", nargs="+", default=["Conv", "MatMul"], help="op types to quantise (Softmax always stays float)"
    )
    ap.add_argument(
        "--quantize-first-conv",
        action="store_true",
        help="quantise the conv on the input too (default: kept in float; int8 there cost 7 points on train)",
    )
    ap.add_argument("--exclude-head", action="store_true", help="keep the final MatMul (CTC classifier) in float")
    args = ap.parse_args(argv)

    if args.opset < 13:
        ap.error("--opset must be >= 13 (per-channel DequantizeLinear needs the axis attribute)")
    t0 = time.perf_counter()
    print(f"calibration crops from {args.train_root} (train only):")
    inputs = calibration_inputs(args.train_root, args.sets, args.max_per_set, args.seed)
    if not inputs:
        print("no calibration crops found", file=sys.stderr)
        return 1
    widths = [x.shape[2] for x in inputs]
    print(f"  {len(inputs)} model inputs, widths {min(widths)}..{max(widths)} (median {int(np.median(widths))})")

    with tempfile.TemporaryDirectory(prefix="quantize_reader_") as tmp:
        upgraded, prepped = Path(tmp) / "opset.onnx", Path(tmp) / "prepped.onnx"
        original = onnx.load(str(args.model))
        old = next(o.version for o in original.opset_import if o.domain in ("", "ai.onnx"))
        converted = version_converter.convert_version(original, args.opset)
        onnx.checker.check_model(converted)
        onnx.save(converted, str(upgraded))
        diff = max_diff(args.model, upgraded, inputs[:8])
        print(f"opset {old} -> {args.opset}: max abs output diff to the original on 8 crops {diff:.3g}")
        if diff > 1e-4:
            print("the upgraded model does not match the original; stopping", file=sys.stderr)
            return 1

        # symbolic shape inference needs sympy (not a project dependency); onnx shape inference suffices
        quant_pre_process(str(upgraded), str(prepped), skip_symbolic_shape=True)
        model = onnx.load(str(prepped))
        name_nodes(model)
        onnx.save(model, str(prepped))
        exclude = excluded_nodes(model, not args.quantize_first_conv, args.exclude_head)
        print(f"pre-processed: {len(model.graph.node)} nodes; kept in float: {', '.join(exclude)}")

        print(
            f"quantize_static: format {args.format}, calibration {args.calibrate}, per_channel "
            f"{not args.no_per_channel}, reduce_range {args.reduce_range}, activations U8, weights S8, "
            f"ops {', '.join(args.ops)}"
        )
        extra: dict[str, object] = {}
        if args.calibrate == "percentile":
            extra["CalibPercentile"] = args.percentile
        calib = inputs
        if args.calibrate != "minmax":
            calib = tiles(inputs, args.tile)
            print(f"  {args.calibrate}: {len(calib)} windows of width {args.tile} cut from the calibration inputs")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        quantize_static(
            str(prepped),
            str(args.out),
            CropReader(model.graph.input[0].name, calib),
            quant_format=FORMATS[args.format],
            op_types_to_quantize=[op for op in args.ops if op != "Softmax"],
            per_channel=not args.no_per_channel,
            reduce_range=args.reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude,
            calibrate_method=CALIBRATION[args.calibrate],
            extra_options=extra,
        )

    quantised = onnx.load(str(args.out))
    meta = {p.key: p.value for p in original.metadata_props}
    have = {p.key for p in quantised.metadata_props}
    for key, value in meta.items():
        if key not in have:
            quantised.metadata_props.add(key=key, value=value)
    onnx.save(quantised, str(args.out))
    counts: dict[str, int] = {}
    for node in quantised.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    q_ops = {k: v for k, v in sorted(counts.items()) if k.startswith(("QLinear", "Quantize", "Dequantize"))}
    print(f"quantised graph: {len(quantised.graph.node)} nodes, {q_ops}")
    size = args.out.stat().st_size
    print(f"wrote {args.out}: {size:,} bytes, sha256 {file_sha256(args.out)}")
    print(f"max abs output diff int8 vs fp32 on the calibration crops: {max_diff(args.model, args.out, inputs):.4f}")
    print(f"done in {time.perf_counter() - t0:.0f} s")
    if size >= 15_000_000:
        print("warning: the int8 model is not under 15 MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
