"""The default detector: a YOLO plate model exported to ONNX, run by onnxruntime.

The model file is checked before a session is made (exists, sha256 matches the recorded one, loads), so
a bad deployment stops at start-up with a message naming the file, not at the first frame.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from anpr.core.onnx_model import ModelError, ModelSource, SessionSettings, load_model
from anpr.detect.base import Detector
from anpr.detect.config import DetectorConfig, Roi
from anpr.detect.postprocess import decode_yolo, letterbox, to_blob
from anpr.types import Detection, Image

log = logging.getLogger(__name__)

REBUILD = "restore it from the release (git checkout models/) or rebuild it with `anpr train detector`"


class OnnxDetector:
    """YOLOv8/11 single-class detector. Input name and size are read from the model itself."""

    def __init__(self, cfg: DetectorConfig) -> None:
        path = Path(cfg.model)
        src = ModelSource(path, cfg.sha256, REBUILD, "detector.model", "detector.sha256")
        settings = SessionSettings(cfg.threads, cfg.providers, "detector.providers", cfg.allow_spinning)
        self._session, digest = load_model(src, settings)
        inp = self._session.get_inputs()[0]
        shape = inp.shape
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]):
            raise ModelError(f"{path}: expected a fixed-size NCHW input, got {shape}; export with dynamic=False")
        self._input_name: str = inp.name
        self.input_h, self.input_w = int(shape[2]), int(shape[3])
        out_shape = self._session.get_outputs()[0].shape
        if len(out_shape) != 3:
            raise ModelError(f"{path}: expected a YOLO output (1, 4+classes, N), got {out_shape}")
        self._cfg = cfg
        self.version = f"{path.stem}:{digest[:12]}"
        log.info(
            "detector %s loaded: input %s %dx%d, %s",
            self.version,
            inp.name,
            self.input_w,
            self.input_h,
            self._session.get_providers(),
        )

    def detect(self, image: Image) -> list[Detection]:
        h, w = image.shape[:2]
        boxed, lb = letterbox(image, self.input_w, self.input_h)
        (out,) = self._session.run(None, {self._input_name: to_blob(boxed)})[:1]
        boxes, scores = decode_yolo(
            np.asarray(out, dtype=np.float32),
            lb,
            w,
            h,
            self._cfg.conf_threshold,
            self._cfg.iou_threshold,
            self._cfg.max_detections,
        )
        return [
            Detection(box=(float(b[0]), float(b[1]), float(b[2]), float(b[3])), score=float(s))
            for b, s in zip(boxes, scores, strict=True)
        ]


class RoiDetector:
    """Runs `inner` on a fixed region of the frame (fractions) and maps its boxes back to frame pixels."""

    def __init__(self, inner: Detector, roi: Roi) -> None:
        self._inner = inner
        self.roi = roi
        self.version = inner.version

    def detect(self, image: Image) -> list[Detection]:
        h, w = image.shape[:2]
        x1, y1 = round(self.roi[0] * w), round(self.roi[1] * h)
        x2, y2 = max(x1 + 1, round(self.roi[2] * w)), max(y1 + 1, round(self.roi[3] * h))
        found = self._inner.detect(image[y1:y2, x1:x2])
        return [
            Detection(
                box=(d.box[0] + x1, d.box[1] + y1, d.box[2] + x1, d.box[3] + y1),
                score=d.score,
                corners=None if d.corners is None else tuple((cx + x1, cy + y1) for cx, cy in d.corners),
            )
            for d in found
        ]
