"""A YOLOv8 detector ONNX file at another input size, by graph surgery on the same weights.

The network is fully convolutional and its upsampling is by scale, so only four things in an exported
graph depend on the input size: the input's shape, the Detect head's anchor points (grid cell centres,
+0.5, per level, in cells), its per-anchor strides (8/16/32) and the int64 shape constants that spell the
anchor count (the DFL Reshapes: 1×4×16×8400 and 1×4×8400 at 640) or the per-level counts (6400/1600/400).
Rewriting those (ultralytics' `make_anchors`, recomputed here) gives what an export of the same weights
at the new size gives. Needs the `onnx` package (the `[train]` extra), never at run time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from anpr.types import Image

log = logging.getLogger(__name__)

STRIDES = (8, 16, 32)
FloatArray = npt.NDArray[np.float32]
Size = int | tuple[int, int]
"""A square side, or (height, width): a 16:9 camera fills a 384×640 input at the scale a 640×640 one gives
it, in 60 % of the pixels (the square input's rows above and below the frame are grey padding)."""


def hw(size: Size) -> tuple[int, int]:
    """(height, width) of a size."""
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def label(size: Size) -> str:
    """`640` for a square size, `640x384` (width x height, as the detector logs it) otherwise."""
    h, w = hw(size)
    return str(h) if h == w else f"{w}x{h}"


def parse_size(text: str) -> tuple[int, int]:
    """`512` or `640x384` (width x height) → (height, width); ValueError otherwise."""
    parts = text.lower().split("x")
    if len(parts) == 1:
        return hw(int(parts[0]))
    if len(parts) == 2:
        return int(parts[1]), int(parts[0])
    raise ValueError(f"size {text!r}: expected N or WIDTHxHEIGHT")


class ResizeError(ValueError):
    """The graph is not a YOLOv8 detector of the known layout, or the size is not usable."""


def level_counts(size: Size, strides: Sequence[int] = STRIDES) -> list[int]:
    """Anchors per level: (h / stride) × (w / stride) each (6400, 1600, 400 at 640)."""
    h, w = hw(size)
    return [(h // s) * (w // s) for s in strides]


def make_anchors(size: Size, strides: Sequence[int] = STRIDES) -> tuple[FloatArray, FloatArray]:
    """The Detect head's constants as the export bakes them: anchor points 1×2×A (x, y in cells, cell centre
    +0.5, x fastest, level after level) and strides 1×A (ultralytics.utils.tal.make_anchors, transposed)."""
    h, w = hw(size)
    points, steps = [], []
    for s in strides:
        ny, nx = h // s, w // s
        sy, sx = np.meshgrid(
            np.arange(ny, dtype=np.float32) + 0.5, np.arange(nx, dtype=np.float32) + 0.5, indexing="ij"
        )
        points.append(np.stack((sx.ravel(), sy.ravel())))
        steps.append(np.full(ny * nx, s, dtype=np.float32))
    return np.concatenate(points, axis=1)[np.newaxis], np.concatenate(steps)[np.newaxis]


def input_size(model: Any) -> tuple[int, int]:
    """(height, width) of a static 1×3×H×W input; ResizeError otherwise."""
    dims = model.graph.input[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    if len(shape) != 4 or shape[2] is None or shape[3] is None:
        raise ResizeError(f"expected a static NCHW input, got {shape}")
    return int(shape[2]), int(shape[3])


def check_size(size: Size) -> None:
    for side in hw(size):
        if side < STRIDES[-1] or side % STRIDES[-1]:
            raise ResizeError(
                f"input size must be a positive multiple of {STRIDES[-1]} (the coarsest stride), got {side}"
            )


def resize_graph(model: Any, size: Size) -> Any:
    """A copy of `model` (onnx.ModelProto) taking a 1×3×H×W input of `size`; the input model is not changed."""
    import onnx
    from onnx import numpy_helper

    check_size(size)
    old = input_size(model)
    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    old_counts, new_counts = level_counts(old), level_counts(size)
    old_total, new_total = sum(old_counts), sum(new_counts)
    old_points, old_steps = make_anchors(old)
    new_points, new_steps = make_anchors(size)
    found = {"anchors": 0, "strides": 0, "anchor counts": 0}
    for i, init in enumerate(g.initializer):
        arr = numpy_helper.to_array(init)
        new: npt.NDArray[Any] | None = None
        if arr.dtype == np.float32 and arr.shape == old_points.shape and np.array_equal(arr, old_points):
            new, key = new_points, "anchors"
        elif arr.dtype == np.float32 and arr.shape == old_steps.shape and np.array_equal(arr, old_steps):
            new, key = new_steps, "strides"
        elif arr.dtype == np.int64 and arr.ndim == 1:
            values = arr.tolist()
            if values == old_counts:  # a Split of the concatenated levels
                new, key = np.array(new_counts, np.int64), "anchor counts"
            elif old_total in values:  # the DFL Reshapes' target shapes
                new, key = np.array([new_total if v == old_total else v for v in values], np.int64), "anchor counts"
            elif set(values) & set(old_counts):
                raise ResizeError(
                    f"shape constant {init.name} = {values} holds a per-level anchor count; unknown layout"
                )
        if new is not None:
            g.initializer[i].CopyFrom(numpy_helper.from_array(new, init.name))
            found[key] += 1
    if any(n.op_type == "Constant" for n in g.node):
        raise ResizeError("the graph has Constant nodes; run onnxslim (as `anpr train detector` does) first")
    missing = [k for k, v in found.items() if not v]
    if missing:
        raise ResizeError(f"no {', '.join(missing)} of a {label(old)}-input YOLOv8 head found; unknown layout")
    new_h, new_w = hw(size)
    g.input[0].type.tensor_type.shape.dim[2].dim_value = new_h
    g.input[0].type.tensor_type.shape.dim[3].dim_value = new_w
    out_dims = g.output[0].type.tensor_type.shape.dim
    if len(out_dims) != 3 or out_dims[2].dim_value != old_total:
        raise ResizeError(f"expected a 1×(4+classes)×{old_total} output")
    out_dims[2].dim_value = new_total
    del g.value_info[:]  # every recorded intermediate shape is stale; inferred again below
    for prop in out.metadata_props:
        if prop.key == "imgsz":  # ultralytics' own record of the export size
            prop.value = f"[{new_h}, {new_w}]"
    try:  # strict: a size-bound constant left behind (a Resize to fixed sizes, say) fails here, not at run time
        out = onnx.shape_inference.infer_shapes(out, check_type=True, strict_mode=True, data_prop=True)
        onnx.checker.check_model(out, full_check=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as err:
        raise ResizeError(f"the resized graph does not check: {err}") from None
    inferred = [d.dim_value for d in out.graph.output[0].type.tensor_type.shape.dim]
    if inferred[2] != new_total:
        raise ResizeError(f"shape inference gives output {inferred}, expected {new_total} anchors")
    log.info("detector input %s -> %s: %d -> %d anchors, %s", label(old), label(size), old_total, new_total, found)
    return out


@dataclass(frozen=True, slots=True)
class PaddedCheck:
    """The resized graph against the original on the same letterboxed pixels placed top-left in a grey canvas
    of the original size. Convolutions are translation-equivariant, so the anchors both grids share give the
    same outputs except where the small graph's zero padding at its right/bottom edge reaches (the big one
    sees more grey there): raw outputs, and the detections (conf, NMS) each graph gives. Pixels: model input."""

    images: int
    box_px: float  # max abs difference of cx, cy, w, h, shared anchors scoring >= 0.05 in either graph
    score: float  # max abs difference of the score, shared anchors at least `margin` px inside the edge
    score_edge: float  # the same over every shared anchor
    margin: int
    detections: tuple[int, int, int]  # (small graph's, big graph's, matched at IoU >= 0.5)
    det_box_px: float  # max abs difference of a matched detection's corners
    det_score: float  # max abs difference of a matched detection's score


def shared_anchors(
    small: Size, big: Size, margin: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Indices of the anchors of a small grid and of the same cells in a big grid (top-left aligned), and
    which of them lie at least `margin` pixels (cell centre) inside the small grid's right and bottom edges."""
    (sh, sw), (_bh, bw) = hw(small), hw(big)
    si, bi, inner = [], [], []
    s_off = b_off = 0
    for s, n_small, n_big in zip(STRIDES, level_counts(small), level_counts(big), strict=True):
        ny, nx, nbx = sh // s, sw // s, bw // s
        y, x = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        si.append(s_off + (y * nx + x).ravel())
        bi.append(b_off + (y * nbx + x).ravel())
        inner.append(((sw - (x + 0.5) * s >= margin) & (sh - (y + 0.5) * s >= margin)).ravel())
        s_off, b_off = s_off + n_small, b_off + n_big
    return np.concatenate(si), np.concatenate(bi), np.concatenate(inner)


def _detections(raw: FloatArray, size: tuple[int, int], conf: float) -> tuple[FloatArray, FloatArray]:
    from anpr.detect.postprocess import Letterbox, decode_yolo

    return decode_yolo(raw[np.newaxis], Letterbox(1.0, 0.0, 0.0), size[1], size[0], conf, 0.45)


def padded_check(
    small_model: Path, big_model: Path, images: Iterable[Image], margin: int = 256, conf: float = 0.25
) -> PaddedCheck:
    """Run both files on each BGR image (letterboxed to the small size) and compare (see PaddedCheck)."""
    import onnxruntime as ort

    from anpr.detect.postprocess import PAD_VALUE, box_iou, letterbox, to_blob

    small = ort.InferenceSession(str(small_model), providers=["CPUExecutionProvider"])
    big = ort.InferenceSession(str(big_model), providers=["CPUExecutionProvider"])
    s_size = int(small.get_inputs()[0].shape[2]), int(small.get_inputs()[0].shape[3])
    b_size = int(big.get_inputs()[0].shape[2]), int(big.get_inputs()[0].shape[3])
    if s_size[0] > b_size[0] or s_size[1] > b_size[1]:
        raise ResizeError(f"the resized input {label(s_size)} must fit in the original {label(b_size)} to compare")
    si, bi, inner = shared_anchors(s_size, b_size, margin)
    box_px = score = score_edge = det_box = det_score = 0.0
    n_images = n_small = n_big = matched = 0
    for image in images:
        boxed, _ = letterbox(image, s_size[1], s_size[0])
        canvas = np.full((*b_size, 3), PAD_VALUE, np.uint8)
        canvas[: s_size[0], : s_size[1]] = boxed
        a = np.asarray(small.run(None, {small.get_inputs()[0].name: to_blob(boxed)})[0])[0][:, si]
        b = np.asarray(big.run(None, {big.get_inputs()[0].name: to_blob(canvas)})[0])[0][:, bi]
        diff = np.abs(a - b)
        scored = np.maximum(a[4], b[4]) >= 0.05
        box_px = max(box_px, float(diff[:4, scored].max(initial=0.0)))
        score = max(score, float(diff[4, inner].max(initial=0.0)))
        score_edge = max(score_edge, float(diff[4].max()))
        (ba, sa), (bb, sb) = _detections(a, s_size, conf), _detections(b, s_size, conf)
        n_images, n_small, n_big = n_images + 1, n_small + len(sa), n_big + len(sb)
        for box, s in zip(ba, sa, strict=True):
            if not len(bb):
                break
            ious = box_iou(box, bb)
            j = int(ious.argmax())
            if ious[j] >= 0.5:
                matched += 1
                det_box = max(det_box, float(np.abs(box - bb[j]).max()))
                det_score = max(det_score, abs(float(s - sb[j])))
                bb, sb = np.delete(bb, j, axis=0), np.delete(sb, j)
    if not n_images:
        raise ResizeError("no images to compare on")
    return PaddedCheck(n_images, box_px, score, score_edge, margin, (n_small, n_big, matched), det_box, det_score)


@dataclass(frozen=True, slots=True)
class ResizeResult:
    path: Path
    sha256: str
    bytes: int
    anchors: int
    check: PaddedCheck | None


def sample_photos(root: Path, n: int) -> list[Path]:
    """`n` photos spread evenly over the sets under `root` (each `<set>/images/*`), in a fixed order."""
    photos = sorted(p for p in root.glob("*/images/*") if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    if n and not photos:
        raise ResizeError(f"{root}: no photos under */images/ to check the resized graph on")
    step = max(1, len(photos) // n) if n else 1
    return photos[::step][:n]


def _read(paths: Sequence[Path]) -> Iterable[Image]:
    import cv2

    for path in paths:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ResizeError(f"{path}: not an image OpenCV reads")
        yield np.asarray(image, dtype=np.uint8)


def resize_file(model: Path, out: Path, size: Size, photos: Sequence[Path], tolerance_px: float = 2.0) -> ResizeResult:
    """Write `model` resized to `size` as `out` (+ .sha256), after checking it against `model` on `photos`
    (none: unchecked). ResizeError, and nothing written, when the detections do not line up."""
    import tempfile

    import onnx

    from anpr.core.onnx_model import file_sha256, write_sha256
    from anpr.detect.wide import SOURCE_INPUT_KEY, SOURCE_KEY

    try:
        graph = onnx.load(str(model))
    except Exception as err:  # protobuf's DecodeError and friends
        raise ResizeError(f"{model}: not an ONNX model ({err})") from None
    resized = resize_graph(graph, size)
    # The runtime uses a wide variant only beside the model it was made from (anpr.detect.wide).
    src_h, src_w = input_size(graph)
    stamps = {SOURCE_KEY: file_sha256(model), SOURCE_INPUT_KEY: f"{src_w}x{src_h}"}
    kept = [p for p in resized.metadata_props if p.key not in stamps]
    del resized.metadata_props[:]
    resized.metadata_props.extend(kept)
    for key, value in stamps.items():
        prop = resized.metadata_props.add()
        prop.key, prop.value = key, value
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / "candidate.onnx"
        onnx.save(resized, str(candidate))
        check = padded_check(candidate, model, _read(photos)) if photos else None
        if check is not None:
            n_small, n_big, matched = check.detections
            if check.det_box_px > tolerance_px or matched < 0.9 * max(n_small, n_big):
                raise ResizeError(f"the resized graph's detections do not line up with {model}'s: {check}")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = out.with_name(out.name + ".tmp")
        tmp_out.write_bytes(candidate.read_bytes())
        tmp_out.replace(out)
    return ResizeResult(out, write_sha256(out), out.stat().st_size, sum(level_counts(size)), check)
