"""The default detector: a YOLO plate model exported to ONNX, run by onnxruntime.

The model file is checked before a session is made (exists, sha256 matches the recorded one, loads), so
a bad deployment stops at start-up with a message naming the file, not at the first frame.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from anpr.core.modelfile import file_sha256
from anpr.detect.base import Detector
from anpr.detect.config import DetectorConfig, Roi
from anpr.detect.errors import ModelError
from anpr.detect.postprocess import decode_yolo, letterbox, to_blob
from anpr.types import Detection, Image

log = logging.getLogger(__name__)

REBUILD_HINT = "restore it from the release (git checkout models/) or rebuild it with `anpr train detector`"


def expected_sha256(model: Path, configured: str = "") -> str:
    """The hash the model must have: the configured one, else the first word of `<model>.sha256`."""
    if configured:
        return configured
    sidecar = model.with_name(model.name + ".sha256")
    try:
        text = sidecar.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as err:
        raise ModelError(
            f"{sidecar}: cannot read the model's recorded sha256 ({err}); write it with "
            f"`sha256sum {model.name} > {sidecar.name}` next to the model, or set detector.sha256"
        ) from None
    if not text or len(text[0]) != 64:
        raise ModelError(f"{sidecar}: does not start with a 64-hex-digit sha256; {REBUILD_HINT}")
    return text[0].lower()


def verify_model(model: Path, configured_sha256: str = "") -> str:
    """Check the file exists and matches its recorded hash; returns the hash."""
    if not model.is_file():
        raise ModelError(f"{model}: model file not found; {REBUILD_HINT}, or set detector.model")
    want = expected_sha256(model, configured_sha256)
    got = file_sha256(model)
    if got != want:
        raise ModelError(
            f"{model}: sha256 {got[:16]}… does not match the recorded {want[:16]}… (corrupt or replaced file); "
            f"{REBUILD_HINT}"
        )
    return got


class OnnxDetector:
    """YOLOv8/11 single-class detector. Input name and size are read from the model itself."""

    def __init__(self, cfg: DetectorConfig) -> None:
        import onnxruntime as ort

        path = Path(cfg.model)
        digest = verify_model(path, cfg.sha256)
        opts = ort.SessionOptions()
        opts.enable_mem_pattern = False  # measured: peak RSS 368 -> 343 MB on the gantry bench, same speed
        opts.intra_op_num_threads = cfg.threads
        opts.inter_op_num_threads = 1
        # Busy-waiting threads would burn the cores that capture and OCR share with us.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if cfg.allow_spinning else "0")
        available = set(ort.get_available_providers())
        providers = [p for p in cfg.providers if p in available]
        missing = [p for p in cfg.providers if p not in available]
        if missing:
            log.warning("onnxruntime providers not available here, skipped: %s", ", ".join(missing))
        if not providers:
            raise ModelError(
                f"none of detector.providers {list(cfg.providers)} is available (have {sorted(available)})"
            )
        try:
            self._session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        except Exception as err:  # onnxruntime raises its own untyped errors for a bad graph
            raise ModelError(f"{path}: onnxruntime cannot load the model ({err}); {REBUILD_HINT}") from None
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
            "detector %s loaded: input %s %dx%d, %s", self.version, inp.name, self.input_w, self.input_h, providers
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
