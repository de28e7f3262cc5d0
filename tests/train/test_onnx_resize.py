"""The detector resize on the shipped model and onnxruntime: same weights, new grid, the same boxes.

Real parts: models/plate-detector.onnx, frames of the committed sample clips and the committed test scene.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

onnx = pytest.importorskip("onnx")  # the [test] extra installs it; it is never needed at run time

from helpers.clips import sample_frame  # noqa: E402
from onnx import ModelProto, TensorProto, helper, numpy_helper  # noqa: E402

from anpr.core.onnx_model import file_sha256  # noqa: E402
from anpr.detect.config import DetectorConfig  # noqa: E402
from anpr.detect.postprocess import box_iou, letterbox, to_blob  # noqa: E402
from anpr.detect.yolo_onnx import OnnxDetector  # noqa: E402
from anpr.train.onnx_resize import (  # noqa: E402
    ResizeError,
    make_anchors,
    padded_check,
    resize_graph,
)
from anpr.types import Image  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "plate-detector.onnx"
ANCHORS, STRIDES = "/model.22/Constant_9_output_0", "/model.22/Constant_12_output_0"


@pytest.fixture(scope="module")
def shipped() -> ModelProto:
    model: ModelProto = onnx.load(str(MODEL))
    return model


@pytest.fixture(scope="module")
def resized_512(shipped: ModelProto, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("resize") / "plate-detector-512.onnx"
    onnx.save(resize_graph(shipped, 512), str(out))
    return out


def _frames() -> list[Image]:
    """The committed test scene and two sample-clip frames with plates (gantry: near, patrol: small)."""
    images = [cv2.imread(str(ROOT / "tests" / "data" / "detector_plate.jpg"))]
    images += [sample_frame(clip, index) for clip, index in (("gantry_day.mp4", 60), ("patrol.mp4", 120))]
    return [np.asarray(i, dtype=np.uint8) for i in images]


def _run(model: ModelProto | Path, blob: np.ndarray) -> np.ndarray:
    src = model.SerializeToString() if isinstance(model, ModelProto) else str(model)
    sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, {sess.get_inputs()[0].name: blob})[0])


def test_the_anchor_formula_gives_the_shipped_head_constants(shipped: ModelProto) -> None:
    inits = {i.name: numpy_helper.to_array(i) for i in shipped.graph.initializer}
    points, strides = make_anchors(640)
    assert points.shape == (1, 2, 8400) and np.array_equal(points, inits[ANCHORS])
    assert np.array_equal(strides, inits[STRIDES])


def test_resizing_to_the_same_size_changes_no_output(shipped: ModelProto) -> None:
    boxed, _ = letterbox(_frames()[1], 640, 640)
    same = resize_graph(shipped, 640)
    assert np.abs(_run(same, to_blob(boxed)) - _run(MODEL, to_blob(boxed))).max() == 0.0


def test_512_graph_is_valid_and_sized(shipped: ModelProto, resized_512: Path) -> None:
    model = onnx.load(str(resized_512))
    onnx.checker.check_model(model, full_check=True)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 512, 512]
    assert [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim] == [1, 5, 4096 + 1024 + 256]
    assert {p.key: p.value for p in model.metadata_props}["imgsz"] == "[512, 512]"
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    assert inits["/model.22/dfl/Constant_output_0"].tolist() == [1, 4, 16, 5376]
    assert len(shipped.graph.input[0].type.tensor_type.shape.dim) == 4  # the input model is left as it was
    assert shipped.graph.input[0].type.tensor_type.shape.dim[2].dim_value == 640


def test_512_boxes_match_the_640_model_on_the_same_pixels(resized_512: Path) -> None:
    check = padded_check(resized_512, MODEL, _frames())
    n_small, n_big, matched = check.detections
    assert n_small >= 3 and matched == n_small == n_big  # every frame has a plate, and each is found by both
    assert check.det_box_px < 1.0 and check.det_score < 0.05
    assert check.score < 0.01  # away from the edge the raw scores agree too


def test_a_head_with_shifted_anchors_fails_the_check(resized_512: Path, tmp_path: Path) -> None:
    model = onnx.load(str(resized_512))
    for init in model.graph.initializer:
        if init.name == ANCHORS:  # one cell off: boxes move by a stride
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) + 1.0, init.name))
    bad = tmp_path / "bad.onnx"
    onnx.save(model, str(bad))
    check = padded_check(bad, MODEL, _frames())
    assert check.det_box_px >= 8.0 or check.detections[2] == 0


def test_the_runtime_takes_the_size_from_the_model(resized_512: Path, tmp_path: Path) -> None:
    model = tmp_path / resized_512.name
    model.write_bytes(resized_512.read_bytes())
    det = OnnxDetector(DetectorConfig(model=str(model), sha256=file_sha256(model)))
    assert (det.input_w, det.input_h) == (512, 512)
    image = cv2.imread(str(ROOT / "tests" / "data" / "detector_plate.jpg"))
    found = det.detect(np.asarray(image, dtype=np.uint8))
    truth = np.array([245, 330, 395, 384], np.float32)
    assert found and box_iou(truth, np.array([found[0].box], np.float32))[0] > 0.7


@pytest.mark.parametrize("size", [500, 0, -32])
def test_sizes_off_the_coarsest_stride_are_refused(shipped: ModelProto, size: int) -> None:
    with pytest.raises(ResizeError, match="multiple of 32"):
        resize_graph(shipped, size)


def test_a_graph_without_a_yolo_head_is_refused() -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["images"], ["y"])], "plain",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 64, 64])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ResizeError, match="no anchors, strides, anchor counts of a 64-input YOLOv8 head"):
        resize_graph(model, 32)


def test_a_size_bound_constant_left_in_the_graph_is_caught(shipped: ModelProto) -> None:
    model = ModelProto()
    model.CopyFrom(shipped)
    resize = next(n for n in model.graph.node if n.name == "/model.10/Resize")
    sizes = numpy_helper.from_array(np.array([1, 256, 40, 40], np.int64), "fixed_sizes")  # P5 upsampled at 640
    model.graph.initializer.append(sizes)
    resize.input[2] = ""  # scales -> fixed sizes: the same graph at 640
    resize.input.append(sizes.name)
    x = np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)
    assert np.array_equal(_run(model, x), _run(shipped, x))
    with pytest.raises(ResizeError, match="does not check"):
        resize_graph(model, 512)


def test_resize_detector_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from anpr.cli.main import main

    photos = tmp_path / "train" / "frames" / "images"
    photos.mkdir(parents=True)
    for i, frame in enumerate(_frames()):
        cv2.imwrite(str(photos / f"{i}.jpg"), frame)
    out = tmp_path / "plate-detector-416.onnx"
    args = ["train", "resize-detector", "--size", "416", "--model", str(MODEL), "--out", str(out)]
    assert main([*args, "--train-root", str(tmp_path / "train"), "--check", "3"]) == 0
    printed = capsys.readouterr().out
    assert "checked on 3 photos" in printed and "3549 anchors" in printed
    assert (tmp_path / "plate-detector-416.onnx.sha256").read_text() == f"{file_sha256(out)}  {out.name}\n"
    # a size off the grid, a file that is no model, no photos to check on: refused, nothing written
    assert main([*args[:3], "400", *args[4:], "--check", "0"]) == 2
    assert "multiple of 32" in capsys.readouterr().err
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00garbage" * 10)
    assert main(["train", "resize-detector", "--size", "512", "--model", str(junk), "--check", "0"]) == 2
    assert "not an ONNX model" in capsys.readouterr().err
    assert main([*args, "--train-root", str(tmp_path / "nowhere")]) == 2
    assert "no photos" in capsys.readouterr().err
    assert not (tmp_path / "plate-detector-512.onnx").exists()
