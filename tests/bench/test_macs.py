"""`python -m anpr.bench.macs` counts multiply-accumulates from the graph (the Pi 5 estimate in
docs/deploy.md rests on it): checked on small graphs whose count is known by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from anpr.bench.macs import count_macs


def _save(nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto], shape: list[int | str], path: Path) -> str:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return str(path)


def test_conv_then_matmul(tmp_path: Path) -> None:
    w = numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")  # 4 filters of 3x3 over 3 channels
    m = numpy_helper.from_array(np.zeros((8, 5), np.float32), "m")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),  # -> 1x4x8x8
        helper.make_node("MatMul", ["c", "m"], ["y"]),  # (1x4x8x8) @ (8x5) -> 1x4x8x5
    ]
    total, per_op, unknown = count_macs(_save(nodes, [w, m], [1, 3, 8, 8], tmp_path / "m.onnx"))
    assert per_op["Conv"] == (4 * 8 * 8) * (3 * 3 * 3)
    assert per_op["MatMul"] == (4 * 8 * 5) * 8
    assert total == per_op["Conv"] + per_op["MatMul"] and not unknown


def test_a_dynamic_input_takes_the_given_shape(tmp_path: Path) -> None:
    w = numpy_helper.from_array(np.zeros((2, 1, 1, 1), np.float32), "w")
    path = _save([helper.make_node("Conv", ["x", "w"], ["y"])], [w], [1, 1, 16, "W"], tmp_path / "d.onnx")
    assert count_macs(path, (1, 1, 16, 10))[0] == 2 * 16 * 10
    assert count_macs(path, (1, 1, 16, 20))[0] == 2 * 16 * 20
