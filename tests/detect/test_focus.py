"""The focus detector (`detector.focus_model`): between whole-frame detections, plates of passages not yet
settled are looked for in small windows of the same letterboxed input, through the shipped 320×192 variant
of the shipped weights, and found where the whole pass finds them. Real models, real sample-clip frames;
the window planning on its own."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.clips import sample_frame

from anpr.core.onnx_model import ModelError, file_sha256
from anpr.detect.config import DetectorConfig
from anpr.detect.focus import MARGIN, STRIDE, Window, focus_mismatch, plan
from anpr.detect.postprocess import box_iou
from anpr.detect.wide import SOURCE_INPUT_KEY, SOURCE_KEY
from anpr.detect.yolo_onnx import OnnxDetector, RoiDetector

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "plate-detector.onnx"
FOCUS = ROOT / "models" / "plate-detector-320x192.onnx"


# -- planning -------------------------------------------------------------------------------------------


def test_a_window_sits_on_the_stride_grid_and_holds_its_plate_with_a_margin() -> None:
    (win,) = plan([(300.0, 200.0, 360.0, 220.0)], 640, 384, 320, 192) or []
    assert win.u % STRIDE == 0 and win.v % STRIDE == 0 and (win.w, win.h) == (320, 192)
    assert win.u <= 300 - MARGIN and win.u + win.w >= 360 + MARGIN
    assert win.v <= 200 - MARGIN and win.v + win.h >= 220 + MARGIN


def test_a_plate_at_the_input_edge_gets_a_window_inside_the_input() -> None:
    (win,) = plan([(-20.0, 370.0, 30.0, 390.0)], 640, 384, 320, 192) or []  # predicted partly out of view
    assert (win.u, win.v) == (0, 384 - 192)


def test_near_plates_share_a_window_far_ones_get_one_each_and_more_take_the_whole_frame() -> None:
    near = plan([(100.0, 100.0, 150.0, 115.0), (200.0, 150.0, 250.0, 165.0)], 640, 384, 320, 192)
    assert near is not None and len(near) == 1
    far = plan([(20.0, 20.0, 70.0, 35.0), (560.0, 340.0, 620.0, 360.0)], 640, 384, 320, 192)
    assert far is not None and len(far) == 2
    assert plan([(20.0, 20.0, 70.0, 35.0), (560.0, 340.0, 620.0, 360.0), (300.0, 20.0, 340.0, 35.0)],
                640, 384, 320, 192) is None  # fmt: skip


def test_a_plate_larger_than_a_window_or_a_window_as_large_as_the_input_takes_the_whole_frame() -> None:
    assert plan([(100.0, 50.0, 400.0, 200.0)], 640, 384, 320, 192) is None
    assert plan([(100.0, 50.0, 150.0, 65.0)], 320, 192, 320, 192) is None
    assert plan([], 640, 384, 320, 192) is None


def test_a_box_far_taller_than_wide_is_no_plate_to_look_for() -> None:
    """patrol, parked_row, cut_in: a 100×260 box on a building made the whole frame be detected instead."""
    assert plan([(300.0, 50.0, 400.0, 310.0)], 640, 384, 320, 192) == []
    (win,) = plan([(300.0, 50.0, 400.0, 310.0), (100.0, 300.0, 160.0, 320.0)], 640, 384, 320, 192) or []
    assert win.u <= 100 - MARGIN and win.v + win.h >= 320


def test_a_box_is_cut_only_at_a_window_border_inside_the_input() -> None:
    win = Window(0, 192, 320, 192)
    assert not win.cuts((0.0, 300.0, 40.0, 320.0), 640, 384)  # the input's own left edge
    assert win.cuts((290.0, 300.0, 319.0, 320.0), 640, 384)  # the window's right border, inside the input
    assert win.cuts((100.0, 192.5, 140.0, 210.0), 640, 384)  # its top border
    assert not win.cuts((100.0, 300.0, 140.0, 384.0), 640, 384)  # the input's bottom edge


# -- the shipped model --------------------------------------------------------------------------------


def test_the_shipped_focus_model_is_stamped_with_the_shipped_model() -> None:
    import onnxruntime as ort

    meta = dict(
        ort.InferenceSession(str(FOCUS), providers=["CPUExecutionProvider"]).get_modelmeta().custom_metadata_map
    )
    assert meta[SOURCE_KEY] == file_sha256(MODEL) and meta[SOURCE_INPUT_KEY] == "640x640"
    assert focus_mismatch(meta, file_sha256(MODEL), (192, 320)) is None
    assert "not from the detector model" in (focus_mismatch(meta, "0" * 64, (192, 320)) or "")
    assert "not smaller" in (focus_mismatch(meta, file_sha256(MODEL), (640, 640)) or "")


@pytest.mark.parametrize(("clip", "index"), [("gantry_day.mp4", 60), ("patrol.mp4", 120), ("night_ir.mp4", 40)])
def test_a_window_finds_each_plate_where_the_whole_frame_does(clip: str, index: int) -> None:
    detector = OnnxDetector(DetectorConfig())
    frame = sample_frame(clip, index)
    whole = [d for d in detector.detect(frame) if d.score >= 0.5]
    assert whole, "the frame should hold a plate"
    for d in whole:
        found = detector.detect_regions(frame, [d.box])
        assert found is not None, "one plate is always worth a window"
        boxes = np.array([f.box for f in found], np.float32).reshape(-1, 4)
        best = int(box_iou(np.array(d.box, np.float32), boxes).argmax())
        assert np.abs(boxes[best] - np.array(d.box, np.float32)).max() < 2.0, (d, found[best])
        assert abs(found[best].score - d.score) < 0.1


def test_a_roi_detector_maps_windows_into_its_crop_and_back() -> None:
    frame = sample_frame("gantry_day.mp4", 60)
    inner = OnnxDetector(DetectorConfig())
    roi = RoiDetector(inner, (0.0, 0.25, 1.0, 1.0))
    whole = [d for d in roi.detect(frame) if d.score >= 0.5]
    assert whole
    found = roi.detect_regions(frame, [whole[0].box])
    assert found is not None
    assert min(np.abs(np.array(f.box) - np.array(whole[0].box)).max() for f in found) < 2.0


def test_without_a_focus_model_the_detector_says_it_cannot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frame = sample_frame("gantry_day.mp4", 60)
    assert OnnxDetector(DetectorConfig(focus_model="")).detect_regions(frame, [(900.0, 500.0, 1000.0, 530.0)]) is None
    # A focus file made from other weights beside a copied model: warned about with auto, never used.
    shutil.copy(MODEL, tmp_path / MODEL.name)
    shutil.copy(MODEL.with_name(MODEL.name + ".sha256"), tmp_path)
    other = tmp_path / "plate-detector-320x192.onnx"
    shutil.copy(ROOT / "models" / "plate-detector-640x384.onnx", other)  # stamped, but 640x384: not smaller
    shutil.copy(ROOT / "models" / "plate-detector-640x384.onnx.sha256", tmp_path / (other.name + ".sha256"))
    (tmp_path / (other.name + ".sha256")).write_text(f"{file_sha256(other)}  {other.name}\n")
    with caplog.at_level(logging.WARNING):
        det = OnnxDetector(DetectorConfig(model=str(tmp_path / MODEL.name), wide_model=""))
    assert det.detect_regions(frame, [(900.0, 500.0, 1000.0, 530.0)]) is None
    assert "not smaller" in caplog.text
    with pytest.raises(ModelError, match="cannot serve"):
        OnnxDetector(DetectorConfig(model=str(tmp_path / MODEL.name), wide_model="", focus_model=str(other)))
