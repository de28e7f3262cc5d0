"""The DFL rewrite on a real onnxruntime: a head built like YOLOv8's gives the same boxes after it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

onnx = pytest.importorskip("onnx")  # the [test] extra installs it; it is never needed at run time

from onnx import ModelProto, TensorProto, helper, numpy_helper, shape_inference  # noqa: E402

from anpr.train.onnx_dfl import PREFIX, dfl_softmax_last_axis  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
A = 50  # anchors


def _yolo_dfl_head() -> ModelProto:
    """x: 1x64xA box logits -> 1x4xA distances, the way ultralytics exports the Detect head's DFL."""
    inits = [
        numpy_helper.from_array(np.array([1, 4, 16, A], np.int64), "shape4"),
        numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(1, 16, 1, 1), "dfl.weight"),
        numpy_helper.from_array(np.array([1, 4, A], np.int64), "shape3"),
    ]
    nodes = [
        helper.make_node("Reshape", ["x", "shape4"], ["r"], name=PREFIX + "Reshape"),
        helper.make_node("Transpose", ["r"], ["t"], name=PREFIX + "Transpose", perm=[0, 2, 1, 3]),
        helper.make_node("Softmax", ["t"], ["s"], name=PREFIX + "Softmax", axis=1),
        helper.make_node("Conv", ["s", "dfl.weight"], ["c"], name=PREFIX + "conv/Conv"),
        helper.make_node("Reshape", ["c", "shape3"], ["y"], name=PREFIX + "Reshape_1"),
    ]
    graph = helper.make_graph(
        nodes, "dfl", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64, A])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, A])], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return shape_inference.infer_shapes(model)  # value_info with the old shapes, as an export has


def _run(model: ModelProto, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, {"x": x})[0])


def test_rewrite_keeps_the_outputs_and_moves_the_softmax_to_the_last_axis() -> None:
    model = _yolo_dfl_head()
    x = np.random.default_rng(0).normal(size=(1, 64, A)).astype(np.float32) * 4
    before = _run(model, x)
    assert dfl_softmax_last_axis(model)
    onnx.checker.check_model(model)
    ops = [n.op_type for n in model.graph.node]
    assert "Conv" not in ops and "MatMul" in ops
    softmax = next(n for n in model.graph.node if n.op_type == "Softmax")
    assert next(a.i for a in softmax.attribute if a.name == "axis") == 3
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-6, atol=1e-6)
    assert not dfl_softmax_last_axis(model)  # a second pass finds nothing to do


def test_the_shipped_detector_is_already_rewritten() -> None:
    shipped = onnx.load(str(ROOT / "models" / "plate-detector.onnx"))
    assert not dfl_softmax_last_axis(shipped)
    assert any(n.name == PREFIX + "MatMul" for n in shipped.graph.node)


def test_optimize_detector_command_checks_then_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from anpr.cli.main import main
    from anpr.core.onnx_model import file_sha256

    exported = tmp_path / "old-export.onnx"
    onnx.save(_yolo_dfl_head(), str(exported))
    out = tmp_path / "rewritten.onnx"
    assert main(["train", "optimize-detector", str(exported), "--out", str(out)]) == 0
    assert "max abs output difference on 3 random inputs: 0" in capsys.readouterr().out
    assert (tmp_path / "rewritten.onnx.sha256").read_text() == f"{file_sha256(out)}  rewritten.onnx\n"
    assert any(n.name == PREFIX + "MatMul" for n in onnx.load(str(out)).graph.node)
    x = np.random.default_rng(1).normal(size=(1, 64, A)).astype(np.float32)
    np.testing.assert_allclose(_run(onnx.load(str(out)), x), _run(_yolo_dfl_head(), x), rtol=1e-6, atol=1e-6)
    # an already rewritten file, and a file that is no model: refused, nothing written
    assert main(["train", "optimize-detector", str(out), "--out", str(tmp_path / "again.onnx")]) == 2
    assert "already rewritten?" in capsys.readouterr().err
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00garbage" * 10)
    assert main(["train", "optimize-detector", str(junk)]) == 2
    assert "not an ONNX model" in capsys.readouterr().err
    assert not (tmp_path / "again.onnx").exists() and junk.read_bytes() == b"\x00garbage" * 10
