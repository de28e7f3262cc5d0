"""Static QDQ int8 quantisation of the YOLOv8n plate detector (`anpr train quantize-detector`).

Steps, each logged:

1. split the labelled *train* sets (never `eval/`) with the training split (`anpr.train.dataset.split_of`):
   calibration images come from the detector's own train split only, checked against the eval images
   (`anpr.train.leakage`); its held-out val split (real photos the detector never trained on) can be
   written out (`anpr.train.heldout`) as a folder in the shared labels format, to compare variants with
   `anpr eval DIR --no-reader --model FILE`;
2. pre-process each calibration image exactly as the detector does at run time
   (`anpr.detect.postprocess.letterbox` to the model's input, then `to_blob`: RGB float 0..1);
3. onnxruntime's quantisation pre-processing (constant folding, shape inference; the model is opset 17
   already, so per-channel DequantizeLinear needs no opset upgrade);
4. `quantize_static` in QDQ format, per-channel S8 weights, U8 activations; the Detect head's decoding
   (everything after the last convs of model.22: Concat/Reshape/Split/DFL Softmax+Conv/Slice/Sub/Add/Div/
   Mul/Sigmoid) always stays float, optionally the last 1x1 convs of the head and the first conv too;
   calibration runs in chunks of images (histograms and ranges are merged) so memory stays bounded;
5. copy the ultralytics metadata, save, and report size, sha256 and the output difference to fp32 on a
   few calibration images.

Result on the 2-core EPYC (2 threads): ~28-34 ms vs ~50-56 ms fp32 per 1080p frame, detection held
(chile_gate 1.000/1.000, mean IoU 0.872 vs 0.876) but end-to-end reads slipped (chile_gate 54/55 exact,
chile_web 72/83 vs 74/83, night_ir clip 2/3), so the int8 detector is not shipped (docs/performance.md).
"""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from anpr.core.onnx_model import write_sha256
from anpr.detect.postprocess import letterbox, to_blob
from anpr.train.dataset import read_set, split_of
from anpr.train.leakage import refuse_eval_images
from anpr.train.quantize import BuildError, check_train_root, copy_metadata, cpu_session, load_onnx, op_counts

log = logging.getLogger(__name__)

CALIBRATION = {
    "minmax": CalibrationMethod.MinMax,
    "entropy": CalibrationMethod.Entropy,
    "percentile": CalibrationMethod.Percentile,
}
DEFAULT_OPS = ("Conv", "Sigmoid", "Mul", "Add", "Concat", "Split", "MaxPool", "Resize")
HEAD = "/model.22/"
"""Name prefix of the Detect head; its last convs are `/model.22/cv2.i/cv2.i.2/Conv` (box) and `cv3.i.2` (class)."""

Tensor = npt.NDArray[np.float32]


@dataclass(frozen=True)
class DetectorQuantSettings:
    images: int = 300
    seed: int = 0
    chunk: int = 10
    calibrate: str = "percentile"
    percentile: float = 99.999
    per_channel: bool = True
    reduce_range: bool = False
    ops: Sequence[str] = DEFAULT_OPS
    quantize_head_convs: bool = False
    quantize_first_conv: bool = False
    float_box_branch: bool = False
    float_head: bool = False
    cache: Path | None = None


@dataclass(frozen=True)
class QuantisedDetector:
    path: Path
    bytes: int
    sha256: str
    box_diff_px: float
    score_diff: float
    """Largest differences to the fp32 model over 16 calibration images."""


def labelled_sets(train_root: Path) -> list[str]:
    """Every set under `train_root` with a labels.csv."""
    check_train_root(train_root)
    return sorted(p.name for p in train_root.iterdir() if (p / "labels.csv").is_file())


def split_images(train_root: Path, sets: Sequence[str], split: str) -> list[tuple[str, str, list[list[float]]]]:
    """(set, file, boxes) of the images with boxes of `sets` that fall in `split` ("train" or "val")."""
    check_train_root(train_root)
    out = []
    for name in sets:
        for item in read_set(train_root / name):
            if split_of(item.split_key) == split:
                out.append((name, item.file, [list(b) for b in item.boxes]))
    return out


def calibration_inputs(
    train_root: Path, sets: Sequence[str], count: int, seed: int, size: tuple[int, int]
) -> list[Tensor]:
    """`count` model inputs (1x3xHxW) from train-split images, made as the detector makes them."""
    import cv2

    items = split_images(train_root, sets, "train")
    refuse_eval_images((train_root / name / file for name, file, _ in items), train_root)
    random.Random(seed).shuffle(items)
    inputs: list[Tensor] = []
    taken: dict[str, int] = {}
    for name, file, _ in items:
        if len(inputs) >= count:
            break
        raw = cv2.imread(str(train_root / name / file))
        if raw is None:
            continue
        boxed, _ = letterbox(np.asarray(raw, dtype=np.uint8), size[0], size[1])
        inputs.append(to_blob(boxed))
        taken[name] = taken.get(name, 0) + 1
    log.info("%d of %d train-split images: %s", len(inputs), len(items), dict(sorted(taken.items())))
    return inputs


class ImageReader(CalibrationDataReader):  # type: ignore[misc]
    """Feeds the calibration inputs one image per batch; `set_range` lets the calibrator go in chunks."""

    def __init__(self, input_name: str, inputs: list[Tensor]) -> None:
        self.input_name = input_name
        self.inputs = inputs
        self.start, self.end = 0, len(inputs)
        self.pos = 0

    def __len__(self) -> int:
        return len(self.inputs)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.start, self.end = start_index, min(end_index, len(self.inputs))
        self.pos = self.start

    def get_next(self) -> dict[str, Tensor] | None:
        if self.pos >= self.end:
            return None
        self.pos += 1
        return {self.input_name: self.inputs[self.pos - 1]}

    def rewind(self) -> None:
        self.pos = self.start


def output_diff(a: Path, b: Path, inputs: list[Tensor]) -> tuple[float, float]:
    """Largest absolute difference of the box coordinates (input pixels) and of the scores over `inputs`."""
    sa, sb = cpu_session(a), cpu_session(b)
    name = sa.get_inputs()[0].name
    box, score = 0.0, 0.0
    for x in inputs:
        d = np.abs(sa.run(None, {name: x})[0] - sb.run(None, {name: x})[0])[0]
        box, score = max(box, float(d[:4].max())), max(score, float(d[4:].max()))
    return box, score


def excluded_nodes(
    model: onnx.ModelProto, head_convs: bool, first_conv: bool, box_branch: bool = False, whole_head: bool = False
) -> list[str]:
    """Nodes kept in float: the head's decoding after its last convs; optionally those convs, the first conv,
    the whole box branch of the head (`cv2.i`: convs and SiLU)."""
    nodes = list(model.graph.node)
    last_convs = [
        n.name
        for n in nodes
        if n.op_type == "Conv" and n.name.startswith(HEAD) and n.name.split("/")[-2].endswith(".2")
    ]
    if len(last_convs) != 6:
        raise BuildError(f"expected the 6 last convs of a YOLOv8 Detect head, found {last_convs}")
    branch = (HEAD + "cv2.", HEAD + "cv3.")  # the box and class conv branches (conv + SiLU)
    out = [n.name for n in nodes if n.name.startswith(HEAD) and not n.name.startswith(branch)]
    if head_convs:
        out += last_convs
    if box_branch:
        out += [n.name for n in nodes if n.name.startswith(HEAD + "cv2.")]
    if whole_head:
        out += [n.name for n in nodes if n.name.startswith(HEAD)]
    if first_conv:
        inp = model.graph.input[0].name
        out += [n.name for n in nodes if n.op_type == "Conv" and inp in n.input][:1]
    return sorted(set(out))


def quantize_detector(
    model_path: Path, out: Path, train_root: Path, sets: Sequence[str], s: DetectorQuantSettings
) -> QuantisedDetector:
    """Build the int8 detector `out` from the fp32 `model_path`; BuildError when a step cannot go on."""
    if s.calibrate not in CALIBRATION:
        raise BuildError(f"calibration must be one of {sorted(CALIBRATION)}")
    shape = cpu_session(model_path).get_inputs()[0].shape
    size = (int(shape[3]), int(shape[2]))
    log.info("calibration images from %s (train split only; sets %s)", train_root, ", ".join(sets))
    inputs = calibration_inputs(train_root, sets, s.images, s.seed, size)
    if not inputs:
        raise BuildError(f"no calibration images found in {train_root} sets {', '.join(sets)}")

    original = load_onnx(model_path)
    with tempfile.TemporaryDirectory(prefix="quantize_detector_") as tmp:
        prepped = Path(tmp) / "prepped.onnx"
        # symbolic shape inference needs sympy (not a project dependency); onnx shape inference suffices
        quant_pre_process(str(model_path), str(prepped), skip_symbolic_shape=True)
        model = onnx.load(str(prepped))
        if any(not n.name for n in model.graph.node):
            raise BuildError("the pre-processed model has unnamed nodes; cannot exclude the head by name")
        exclude = excluded_nodes(
            model, not s.quantize_head_convs, not s.quantize_first_conv, s.float_box_branch, s.float_head
        )
        log.info("pre-processed: %d nodes; %d kept in float", len(model.graph.node), len(exclude))
        log.info(
            "quantize_static: QDQ, calibration %s on %d images in chunks of %d, per_channel %s, reduce_range %s, "
            "activations U8, weights S8, ops %s", s.calibrate, len(inputs), s.chunk, s.per_channel, s.reduce_range,
            ", ".join(s.ops),
        )  # fmt: skip
        extra: dict[str, object] = {"CalibStridedMinMax": s.chunk}
        if s.calibrate == "percentile":
            extra["CalibPercentile"] = s.percentile
        calib = inputs[: len(inputs) - len(inputs) % s.chunk]  # the chunked calibrator needs whole chunks
        if not calib:
            raise BuildError(f"fewer calibration images ({len(inputs)}) than one chunk ({s.chunk})")
        out.parent.mkdir(parents=True, exist_ok=True)
        quantize_static(
            str(prepped),
            str(out),
            ImageReader(model.graph.input[0].name, calib),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=list(s.ops),
            per_channel=s.per_channel,
            reduce_range=s.reduce_range,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude,
            calibrate_method=CALIBRATION[s.calibrate],
            calibration_cache_path=str(s.cache) if s.cache else None,
            extra_options=extra,
        )

    quantised = onnx.load(str(out))
    copy_metadata(original, quantised)
    onnx.save(quantised, str(out))
    log.info("quantised graph: %d nodes, %s", len(quantised.graph.node), op_counts(quantised))
    box, score = output_diff(model_path, out, inputs[:16])
    return QuantisedDetector(out, out.stat().st_size, write_sha256(out), box, score)
