"""Pre- and post-processing for YOLO detectors as pure numpy functions (no session, no I/O).

`letterbox` scales an image into the model's square input keeping its aspect ratio and pads the rest;
`decode_yolo` turns the raw (1, 4 + classes, N) output into pixel boxes of the original image;
`nms` keeps the best box of each overlapping group.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from anpr.types import Image

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.intp]

PAD_VALUE = 114
"""Grey used by ultralytics when it letterboxes during training; the model has learned to ignore it."""


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image was placed in the model input: input = image * scale + (pad_x, pad_y)."""

    scale: float
    pad_x: float
    pad_y: float


def letterbox(image: Image, width: int, height: int) -> tuple[Image, Letterbox]:
    """Resize `image` (HxWx3 or HxW) to fit `width`x`height`, centred, padded with grey."""
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"cannot letterbox an empty image of shape {image.shape}")
    lb = letterbox_geometry(w, h, width, height)
    scale = lb.scale
    new_w, new_h = _resized(w, h, scale)
    # INTER_AREA when shrinking avoids the aliasing that makes small plates' strokes vanish.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interp) if (new_w, new_h) != (w, h) else image
    if resized.ndim == 2:
        resized = cv2.cvtColor(resized, cv2.COLOR_GRAY2BGR)
    pad_x, pad_y = int(lb.pad_x), int(lb.pad_y)
    out = np.full((height, width, 3), PAD_VALUE, dtype=np.uint8)
    out[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return out, lb


def letterbox_geometry(w: int, h: int, width: int, height: int) -> Letterbox:
    """Where `letterbox` puts a w×h image in a width×height input, without resizing it."""
    scale = min(width / w, height / h)
    new_w, new_h = _resized(w, h, scale)
    return Letterbox(scale=scale, pad_x=float((width - new_w) // 2), pad_y=float((height - new_h) // 2))


def _resized(w: int, h: int, scale: float) -> tuple[int, int]:
    return max(1, round(w * scale)), max(1, round(h * scale))


def letterbox_window(image: Image, lb: Letterbox, u: int, v: int, width: int, height: int) -> Image | None:
    """The width×height window at (u, v) of `letterbox(image, ...)` (placed as `lb` says), made from the
    image pixels under it alone, or None where that would not be the very same pixels: only when the image
    shrinks by a whole factor k that divides its sides does INTER_AREA average fixed k×k blocks, which a cut
    on the block grid keeps (1080p and 720p into a 640-wide input: k = 3 and 2). A fraction of the cost."""
    h, w = image.shape[:2]
    k = round(1 / lb.scale) if lb.scale < 1 else 0
    if k < 2 or abs(k * lb.scale - 1) > 1e-9 or w % k or h % k:
        return None
    pad_x, pad_y = int(lb.pad_x), int(lb.pad_y)
    x0, x1 = max(u, pad_x), min(u + width, pad_x + w // k)
    y0, y1 = max(v, pad_y), min(v + height, pad_y + h // k)
    out = np.full((height, width, 3), PAD_VALUE, dtype=np.uint8)
    if x0 < x1 and y0 < y1:
        src = image[(y0 - pad_y) * k : (y1 - pad_y) * k, (x0 - pad_x) * k : (x1 - pad_x) * k]
        part = cv2.resize(src, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        if part.ndim == 2:
            part = cv2.cvtColor(part, cv2.COLOR_GRAY2BGR)
        out[y0 - v : y1 - v, x0 - u : x1 - u] = part
    return out


def to_blob(letterboxed: Image) -> FloatArray:
    """BGR uint8 HxWx3 -> RGB float32 1x3xHxW in 0..1, contiguous (what YOLO ONNX exports expect)."""
    rgb = letterboxed[:, :, ::-1].transpose(2, 0, 1)
    return np.ascontiguousarray(rgb[np.newaxis], dtype=np.float32) / np.float32(255.0)


def box_iou(box: FloatArray, boxes: FloatArray) -> FloatArray:
    """IoU of one (4,) x1y1x2y2 box against (N, 4) boxes."""
    ix1 = np.maximum(box[0], boxes[:, 0])
    iy1 = np.maximum(box[1], boxes[:, 1])
    ix2 = np.minimum(box[2], boxes[:, 2])
    iy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)


def nms(boxes: FloatArray, scores: FloatArray, iou_threshold: float) -> IntArray:
    """Greedy non-maximum suppression; returns the kept indices, best score first.

    A box is dropped when its IoU with an already kept, higher-scoring box exceeds `iou_threshold`.
    (cv2.dnn.NMSBoxes does the same but takes x,y,w,h lists and a score threshold; this stays in numpy.)
    """
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[box_iou(boxes[i], boxes[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.intp)


def decode_yolo(
    output: FloatArray,
    lb: Letterbox,
    image_w: int,
    image_h: int,
    conf_threshold: float,
    iou_threshold: float,
    max_det: int = 100,
) -> tuple[FloatArray, FloatArray]:
    """Decode a YOLOv8/11 head output (1, 4 + C, N) of cx, cy, w, h, class scores (input pixels).

    Returns (boxes (K, 4) x1y1x2y2 in original-image pixels, clipped; scores (K,)), best first.
    All classes count as "plate": the score is the best class score.
    """
    if output.ndim != 3 or output.shape[0] != 1 or output.shape[1] < 5:
        raise ValueError(f"expected a YOLO output of shape (1, 4+classes, N), got {output.shape}")
    pred = output[0]
    scores = pred[4:].max(axis=0)
    mask = scores >= conf_threshold
    if not mask.any():
        return np.zeros((0, 4), np.float32), np.zeros((0,), np.float32)
    cx, cy, w, h = pred[0, mask], pred[1, mask], pred[2, mask], pred[3, mask]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    boxes[:, [0, 2]] = (boxes[:, [0, 2]] - lb.pad_x) / lb.scale
    boxes[:, [1, 3]] = (boxes[:, [1, 3]] - lb.pad_y) / lb.scale
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, image_w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, image_h)
    scores = scores[mask]
    keep = nms(boxes, scores, iou_threshold)[:max_det]
    return boxes[keep].astype(np.float32), scores[keep].astype(np.float32)
