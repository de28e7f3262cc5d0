"""anpr.train.onnx_fuse on a graph with PP-LCNet's block (conv, affine, hard-swish written out, affine,
conv), quantised by onnxruntime's own quantize_static as `anpr train quantize-reader` does: the fused
graph has fewer float nodes and gives the same output up to float rounding (one quantisation step)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from anpr.train.onnx_fuse import fuse_elementwise

RNG = np.random.default_rng(7)


def _const(name: str, value: float | np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, np.float32), name)


def _lcnet_block_model() -> onnx.ModelProto:
    """x → Conv → ×s1 +t1 → x·clip(x+3, 0, 6)/6 → ×s2 +t2 → Conv(1×1) → y, as paddle2onnx writes it."""
    w1 = RNG.normal(0, 0.4, (8, 3, 3, 3)).astype(np.float32)
    w2 = RNG.normal(0, 0.4, (4, 8, 1, 1)).astype(np.float32)
    inits = [
        _const("w1", w1), _const("b1", RNG.normal(0, 0.1, 8)), _const("w2", w2), _const("b2", np.zeros(4)),
        _const("s1", 1.3), _const("t1", 0.2), _const("three", 3.0), _const("zero", 0.0), _const("six", 6.0),
        _const("s2", 0.8), _const("t2", -0.1),
    ]  # fmt: skip
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Mul", ["s1", "c1"], ["a1"], name="lab1_mul"),
        helper.make_node("Add", ["a1", "t1"], ["h"], name="lab1_add"),
        helper.make_node("Add", ["h", "three"], ["h3"], name="hs_add"),
        helper.make_node("Clip", ["h3", "zero", "six"], ["hc"], name="hs_clip"),
        helper.make_node("Mul", ["h", "hc"], ["hm"], name="hs_mul"),
        helper.make_node("Div", ["hm", "six"], ["hs"], name="hs_div"),
        helper.make_node("Mul", ["s2", "hs"], ["a2"], name="lab2_mul"),
        helper.make_node("Add", ["a2", "t2"], ["l2"], name="lab2_add"),
        helper.make_node("Conv", ["l2", "w2", "b2"], ["y"], name="conv2"),
    ]
    graph = helper.make_graph(
        nodes, "lcnet_block",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 40])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 12, 40])],
        inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


class _Inputs(CalibrationDataReader):  # type: ignore[misc]
    def __init__(self, xs: list[np.ndarray]) -> None:
        self.it = iter(xs)

    def get_next(self) -> dict[str, np.ndarray] | None:
        x = next(self.it, None)
        return None if x is None else {"x": x}


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, {"x": x})[0])


@pytest.fixture(scope="module")
def quantised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuse")
    onnx.save(_lcnet_block_model(), str(d / "fp32.onnx"))
    xs = [RNG.normal(0, 1, (1, 3, 12, 40)).astype(np.float32) for _ in range(16)]
    quantize_static(
        str(d / "fp32.onnx"), str(d / "int8.onnx"), _Inputs(xs), quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv"], per_channel=True, activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
    )  # fmt: skip
    return d / "int8.onnx"


def test_fused_graph_is_smaller_and_reads_the_same(quantised: Path, tmp_path: Path) -> None:
    model = onnx.load(str(quantised))
    before = Counter(n.op_type for n in model.graph.node)
    assert before["Clip"] == 1 and before["Div"] == 1  # the quantiser left hard-swish written out in float

    counts = fuse_elementwise(model)
    after = Counter(n.op_type for n in model.graph.node)
    fused = tmp_path / "fused.onnx"
    onnx.save(model, str(fused))

    assert counts["hardswish"] == 1 and counts["mul_into_dequantize"] == 1 and counts["affine_into_quantize"] == 1
    assert after["HardSwish"] == 1 and after["Clip"] == 0 and after["Div"] == 0
    assert after["Mul"] == 0 and before["Add"] == 3 and after["Add"] == 2  # left: t1 and the folded bias
    assert next(o.version for o in model.opset_import if o.domain == "") == 14
    names = {i.name for i in model.graph.initializer}
    assert {"s1", "s2", "three", "six"}.isdisjoint(names)  # nothing unused left behind

    # the Q's output scale is the conv's input scale: one step of it bounds a rounding flip's effect
    step = max(float(numpy_helper.to_array(i)) for i in model.graph.initializer if i.name.endswith("_scale_folded"))
    for _ in range(5):
        x = RNG.normal(0, 1, (1, 3, 12, 40)).astype(np.float32)
        a, b = _run(quantised, x), _run(fused, x)
        assert a.shape == b.shape
        assert np.mean(a == b) > 0.95
        assert np.abs(a - b).max() <= 4 * step + 1e-5


def test_a_negative_scale_is_left_alone(quantised: Path) -> None:
    model = onnx.load(str(quantised))
    for init in model.graph.initializer:
        if init.name in ("s1", "s2"):
            init.CopyFrom(numpy_helper.from_array(np.array(-0.5, np.float32), init.name))
    counts = fuse_elementwise(model)
    # a negative scale would flip a quantisation scale's sign, which DequantizeLinear cannot take
    assert counts["mul_into_dequantize"] == 0 and counts["affine_into_quantize"] == 0
    assert counts["hardswish"] == 1
