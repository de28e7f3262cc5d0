"""The shipped ONNX model on a committed image, the start-up checks, and the region of interest."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import pytest
from helpers.images import imread

from anpr.detect import ModelError, build_detector, for_camera
from anpr.detect.config import DetectorConfig
from anpr.track.boxes import iou

Scene = tuple[Path, tuple[float, float, float, float]]  # the image and its plate's box (conftest.py)


def test_finds_the_plate_in_the_committed_scene(model_path: Path, plate_scene: Scene) -> None:
    image_path, box = plate_scene
    det = build_detector(DetectorConfig(model=str(model_path), wide_model=""))  # the square model itself
    found = det.detect(imread(image_path))
    assert found, "no plate found"
    best = max(found, key=lambda d: d.score)
    assert iou(best.box, box) > 0.5
    assert det.version.startswith("plate-detector:") and len(det.version.split(":")[1]) == 12
    import onnxruntime as ort

    shape = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"]).get_inputs()[0].shape
    assert (det.input_h, det.input_w) == (shape[2], shape[3])  # read from the session, not assumed


def test_grey_frames_and_empty_scenes(model_path: Path, plate_scene: Scene) -> None:
    det = build_detector(DetectorConfig(model=str(model_path)))
    grey = imread(plate_scene[0], cv2.IMREAD_GRAYSCALE)
    assert det.detect(grey)  # a mono camera still works
    assert det.detect(grey[:100, :100]) == []  # sky and road only


def test_roi_crops_and_maps_boxes_back(model_path: Path, plate_scene: Scene) -> None:
    image_path, box = plate_scene
    image = imread(image_path)
    cfg = DetectorConfig(model=str(model_path), roi={"gate": (0.25, 0.5, 0.75, 1.0), "sky": (0.0, 0.0, 1.0, 0.3)})
    det = build_detector(cfg)
    lane = for_camera(det, cfg, "gate")
    found = lane.detect(image)
    assert found and iou(max(found, key=lambda d: d.score).box, box) > 0.5  # frame pixels, not crop pixels
    assert for_camera(det, cfg, "sky").detect(image) == []
    assert for_camera(det, cfg, "other") is det


def test_roi_must_be_ordered_fractions() -> None:
    with pytest.raises(ValueError, match="roi for camera 'gate'"):
        DetectorConfig(roi={"gate": (0.5, 0.0, 0.4, 1.0)})


def test_missing_model_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.onnx"
    with pytest.raises(ModelError, match=r"nope\.onnx: model file not found.*anpr train detector"):
        build_detector(DetectorConfig(model=str(missing)))


def test_corrupt_model_fails_the_hash_check(model_copy: Path) -> None:
    data = bytearray(model_copy.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, as a bad copy or a failing card would give
    model_copy.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"plate-detector\.onnx: sha256 .* does not match"):
        build_detector(DetectorConfig(model=str(model_copy)))


def test_truncated_model_with_a_matching_hash_fails_to_load(model_copy: Path) -> None:
    import hashlib

    model_copy.write_bytes(model_copy.read_bytes()[:5000])
    digest = hashlib.sha256(model_copy.read_bytes()).hexdigest()
    with pytest.raises(ModelError, match="onnxruntime cannot load the model"):
        build_detector(DetectorConfig(model=str(model_copy), sha256=digest))


def test_missing_sidecar_says_how_to_write_it(model_copy: Path) -> None:
    model_copy.with_name(model_copy.name + ".sha256").unlink()
    with pytest.raises(ModelError, match=re.escape("sha256sum plate-detector.onnx > plate-detector.onnx.sha256")):
        build_detector(DetectorConfig(model=str(model_copy)))


def test_unknown_and_unavailable_providers_are_refused(model_path: Path) -> None:
    with pytest.raises(ModelError, match=r"detector\.providers: unknown onnxruntime execution provider 'Cuda'"):
        build_detector(DetectorConfig(model=str(model_path), providers=("Cuda", "CPUExecutionProvider")))
    # a real provider this onnxruntime build lacks (the test machine's is the CPU build)
    with pytest.raises(ModelError, match=r"none of detector\.providers \['TensorrtExecutionProvider'\]"):
        build_detector(DetectorConfig(model=str(model_path), providers=("TensorrtExecutionProvider",)))
