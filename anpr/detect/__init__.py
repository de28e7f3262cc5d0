"""Plate detection: the `Detector` protocol and its default, a YOLO model run by onnxruntime.

Importing this package stays light; onnxruntime and OpenCV load when a detector is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anpr.core.onnx_model import ModelError
from anpr.detect.base import Detector

if TYPE_CHECKING:
    from anpr.detect.config import DetectorConfig
    from anpr.detect.yolo_onnx import OnnxDetector

__all__ = ["Detector", "ModelError", "build_detector", "for_camera"]


def build_detector(cfg: DetectorConfig) -> OnnxDetector:
    """The configured default detector (checks the model file and its sha256; raises `ModelError`)."""
    from anpr.detect.yolo_onnx import OnnxDetector

    return OnnxDetector(cfg)


def for_camera(detector: Detector, cfg: DetectorConfig, camera_id: str) -> Detector:
    """`detector` restricted to the camera's configured region of interest (`detector.roi`), if any."""
    from anpr.detect.yolo_onnx import RoiDetector

    roi = cfg.roi.get(camera_id)
    return detector if roi is None else RoiDetector(detector, roi)
