"""Static int8 quantisation of a plate reader model (`anpr train quantize-reader`).

Built for the PP-OCRv4 reader (models/plate-reader.onnx -> plate-reader-int8.onnx); the plate-trained CRNN
(N×1×H×W input) goes through the same steps with its own pre-processing. Steps, each logged:

1. upgrade the model to opset >= 13 (per-channel DequantizeLinear needs `axis`) and check the upgraded
   fp32 model gives the same outputs as the original on a few calibration crops;
2. onnxruntime's quantisation pre-processing (constant folding, shape inference);
3. calibrate on plate crops from the *train* sets only (never `eval/`): each labelled box is cut and
   pre-processed exactly as the reader does at run time (`preprocess.crop` with the reader's margins,
   then `preprocess.prepare`, or `strips` for the CRNN), one crop per batch at its own width;
4. `quantize_static` (QDQ or QOperator, per-channel S8 weights, U8 activations by default); the CTC
   head's Softmax always stays float (its small probabilities feed the grammar decoder), optionally
   the first conv and the final MatMul too;
5. fuse the float element-wise chains the quantiser leaves between int8 convs (hard-swish and the
   scalar affine blocks; `anpr.train.onnx_fuse`, exact up to float rounding: the reader ~17 % faster);
6. copy the character dictionary metadata, save, and report size, sha256 and the output difference
   to fp32 on the calibration crops.

The defaults (QDQ, percentile 99.999 calibration on 96-px windows, per-channel, first conv, attention
and CTC Softmax in float, then the fusion) build the shipped models/plate-reader-int8.onnx (weights byte for byte;
a few percentile scales may differ in the 5th digit between numpy/onnxruntime builds).
"""

from __future__ import annotations

import csv
import logging
import random
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnx import version_converter
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from anpr.core.onnx_model import write_sha256
from anpr.ocr import preprocess
from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import model_inputs
from anpr.ocr.strips import strips, to_input
from anpr.train.leakage import refuse_eval_images
from anpr.train.onnx_fuse import fuse_elementwise
from anpr.train.quantize import (
    BuildError,
    check_train_root,
    copy_metadata,
    cpu_session,
    load_onnx,
    name_nodes,
    op_counts,
)
from anpr.types import Detection, Image

log = logging.getLogger(__name__)

DEFAULT_SETS = ("chile_gate_overlay", "openalpr_br", "openalpr_eu", "openalpr_us")
CALIBRATION = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}
FORMATS = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}

Tensor = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ReaderQuantSettings:
    sets: Sequence[str] = DEFAULT_SETS
    max_per_set: int = 60
    seed: int = 0
    opset: int | None = None
    """Opset to upgrade to (>= 13); None: the model's own, or 13 if it is older."""
    format: str = "qdq"
    calibrate: str = "percentile"
    percentile: float = 99.999
    tile: int = 96
    per_channel: bool = True
    reduce_range: bool = False
    ops: Sequence[str] = ("Conv", "MatMul")
    quantize_first_conv: bool = False
    exclude_head: bool = False
    fuse: bool = True
    """Fuse the float element-wise chains left between int8 ops (anpr.train.onnx_fuse)."""


@dataclass(frozen=True)
class Quantised:
    path: Path
    bytes: int
    sha256: str
    max_abs_diff: float
    """Largest output difference to the fp32 model over the calibration crops."""


def calibration_inputs(
    train_root: Path, sets: Sequence[str], max_per_set: int, seed: int, input_shape: Sequence[object]
) -> list[Tensor]:
    """Model inputs (C×H×W each) for the labelled boxes of `sets`, made as the reader makes them."""
    import cv2

    check_train_root(train_root)
    cfg = ReaderConfig()
    grey = input_shape[1] == 1  # the plate-trained CRNN; else PP-OCR's 3×48×W
    rng = random.Random(seed)
    inputs: list[Tensor] = []
    for name in sets:
        root = train_root / name
        try:
            with open(root / "labels.csv", newline="", encoding="utf-8") as f:
                rows = [r for r in csv.DictReader(f) if r.get("x1") and r.get("quality", "ok") != "unreadable"]
        except OSError as err:
            raise BuildError(
                f"{root}: no labels.csv ({err}); check the train root (--train-root) and set names"
            ) from None
        refuse_eval_images((root / r["file"] for r in rows), train_root)
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
            if grey:
                h, w = int(str(input_shape[2])), int(str(input_shape[3]))
                text_rows = strips(plate, h, w, use_clahe=cfg.clahe, deskew=cfg.deskew, band=cfg.char_band)
                if not text_rows:
                    continue
                inputs.extend(to_input(text_rows, w))
            else:
                inputs.extend(model_inputs(plate, cfg))
            taken += 1
        log.info("calibration set %s: %d boxes", name, taken)
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


def max_diff(a: Path, b: Path, inputs: list[Tensor]) -> float:
    """Largest absolute output difference of two models over `inputs`."""
    sa, sb = cpu_session(a), cpu_session(b)
    name = sa.get_inputs()[0].name
    return max(float(np.abs(sa.run(None, {name: x[None]})[0] - sb.run(None, {name: x[None]})[0]).max()) for x in inputs)


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


def quantize_reader(model_path: Path, out: Path, train_root: Path, s: ReaderQuantSettings) -> Quantised:
    """Build the int8 model `out` from the fp32 `model_path`; BuildError when a step's check fails."""
    if s.format not in FORMATS or s.calibrate not in CALIBRATION:
        raise BuildError(f"format must be one of {sorted(FORMATS)}, calibration one of {sorted(CALIBRATION)}")
    original = load_onnx(model_path)
    old = next(o.version for o in original.opset_import if o.domain in ("", "ai.onnx"))
    opset = s.opset if s.opset is not None else max(old, 13)
    if opset < 13:
        raise BuildError("opset must be >= 13 (per-channel DequantizeLinear needs the axis attribute)")
    shape = cpu_session(model_path).get_inputs()[0].shape
    log.info("calibration crops from %s (train only)", train_root)
    inputs = calibration_inputs(train_root, s.sets, s.max_per_set, s.seed, shape)
    if not inputs:
        raise BuildError(f"no calibration crops found in {train_root} sets {', '.join(s.sets)}")
    widths = [x.shape[2] for x in inputs]
    log.info("%d model inputs, widths %d..%d (median %d)", len(inputs), min(widths), max(widths), np.median(widths))

    with tempfile.TemporaryDirectory(prefix="quantize_reader_") as tmp:
        upgraded, prepped = Path(tmp) / "opset.onnx", Path(tmp) / "prepped.onnx"
        if opset != old:
            converted = version_converter.convert_version(original, opset)
            onnx.checker.check_model(converted)
            onnx.save(converted, str(upgraded))
            diff = max_diff(model_path, upgraded, inputs[:8])
            log.info("opset %d -> %d: max abs output diff to the original on 8 crops %.3g", old, opset, diff)
            if diff > 1e-4:
                raise BuildError(f"the opset {opset} model does not match the original (diff {diff:.3g}); stopping")
        else:
            onnx.save(original, str(upgraded))

        # symbolic shape inference needs sympy (not a project dependency); onnx shape inference suffices
        quant_pre_process(str(upgraded), str(prepped), skip_symbolic_shape=True)
        model = onnx.load(str(prepped))
        name_nodes(model)
        onnx.save(model, str(prepped))
        exclude = excluded_nodes(model, not s.quantize_first_conv, s.exclude_head)
        log.info("pre-processed: %d nodes; kept in float: %s", len(model.graph.node), ", ".join(exclude))
        log.info(
            "quantize_static: format %s, calibration %s, per_channel %s, reduce_range %s, activations U8, "
            "weights S8, ops %s", s.format, s.calibrate, s.per_channel, s.reduce_range, ", ".join(s.ops),
        )  # fmt: skip
        extra: dict[str, object] = {}
        if s.calibrate == "percentile":
            extra["CalibPercentile"] = s.percentile
        calib = inputs
        if s.calibrate != "minmax" and not isinstance(shape[3], int):  # a fixed width has one shape already
            calib = tiles(inputs, s.tile)
            log.info("%s: %d windows of width %d cut from the calibration inputs", s.calibrate, len(calib), s.tile)
        out.parent.mkdir(parents=True, exist_ok=True)
        quantize_static(
            str(prepped),
            str(out),
            CropReader(model.graph.input[0].name, calib),
            quant_format=FORMATS[s.format],
            op_types_to_quantize=[op for op in s.ops if op != "Softmax"],
            per_channel=s.per_channel,
            reduce_range=s.reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude,
            calibrate_method=CALIBRATION[s.calibrate],
            extra_options=extra,
        )

    quantised = onnx.load(str(out))
    if s.fuse:
        fuse_elementwise(quantised)
    copy_metadata(original, quantised)
    onnx.save(quantised, str(out))
    q_ops = {k: v for k, v in op_counts(quantised).items() if k.startswith(("QLinear", "Quantize", "Dequantize"))}
    log.info("quantised graph: %d nodes, %s", len(quantised.graph.node), q_ops)
    digest = write_sha256(out)  # the reader loads a model only with its sidecar
    return Quantised(out, out.stat().st_size, digest, max_diff(model_path, out, inputs))
