"""Fuse the float element-wise chains of a QDQ reader model (`anpr train quantize-reader`, last step).

PP-OCRv4's LCNet backbone writes every activation as `x * Clip(x + 3, 0, 6) / 6` (hard-swish, four nodes)
and wraps it in scalar "learnable affine blocks" (`Mul` by a scale, `Add` a bias) on both sides. The int8
graph quantises only Conv and MatMul, so each block runs 8 float nodes between a DequantizeLinear and
the next QuantizeLinear; onnxruntime fuses none of them there, and on a 48×208 crop these tiny nodes
took about half the model's time (`Mul` 20 %, `Add` 16 %, `Div` 7 %, `Clip` 5 % in onnxruntime's
profile). Three rewrites, each exact up to float rounding:

- `Add(x, 3) → Clip(0, 6) → Mul(x, ·) → Div(·, 6)` becomes `HardSwish(x)` (opset 14);
- a positive scalar `Mul` right after a per-tensor DequantizeLinear goes into its scale;
- a positive scalar `Mul` then scalar `Add` right before a per-tensor QuantizeLinear become one `Add`
  (the bias divided by the scale) and the Mul goes into the QuantizeLinear's scale.

A node is rewritten only when every tensor it removes has a single consumer and is not a graph output.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

log = logging.getLogger(__name__)

HARDSWISH_OPSET = 14


class _Graph:
    """Producer / consumer maps and constant lookup over an ONNX graph being edited."""

    def __init__(self, model: Any) -> None:
        self.g = model.graph
        self.inits = {i.name: i for i in self.g.initializer}
        self.const_nodes = {n.output[0]: n for n in self.g.node if n.op_type == "Constant"}
        self.outputs = {o.name for o in self.g.output}
        self.refresh()

    def refresh(self) -> None:
        self.consumers: dict[str, list[Any]] = defaultdict(list)
        self.producer: dict[str, Any] = {}
        for n in self.g.node:
            for i in n.input:
                self.consumers[i].append(n)
            for o in n.output:
                self.producer[o] = n

    def const(self, name: str) -> np.ndarray | None:
        if name in self.inits:
            return numpy_helper.to_array(self.inits[name])
        node = self.const_nodes.get(name)
        if node is not None:
            for a in node.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t)
        return None

    def scalar(self, name: str) -> float | None:
        v = self.const(name)
        if v is None or v.size != 1 or v.dtype != np.float32:
            return None
        return float(v.reshape(()))

    def only_consumer(self, tensor: str) -> Any:
        """The one node reading `tensor`, or None (typed Any: an `is` test against it must not narrow a node)."""
        c = self.consumers.get(tensor, [])
        return c[0] if len(c) == 1 and tensor not in self.outputs else None

    def other_input(self, node: Any, tensor: str) -> str | None:
        others = [i for i in node.input if i != tensor]
        return others[0] if len(others) == 1 and len(node.input) == 2 else None

    def add_scalar(self, name: str, value: float) -> str:
        self.g.initializer.append(numpy_helper.from_array(np.array(value, np.float32), name))
        self.inits[name] = self.g.initializer[-1]
        return name


def _hardswish(gr: _Graph) -> int:
    fused = 0
    for add in [n for n in gr.g.node if n.op_type == "Add"]:
        if len(add.input) != 2:
            continue
        x = next((i for i in add.input if gr.scalar(i) is None), None)
        three = gr.other_input(add, x) if x else None
        if x is None or three is None or gr.scalar(three) != 3.0:
            continue
        clip = gr.only_consumer(add.output[0])
        if clip is None or clip.op_type != "Clip" or len(clip.input) != 3:
            continue
        if (gr.scalar(clip.input[1]), gr.scalar(clip.input[2])) != (0.0, 6.0):
            continue
        mul = gr.only_consumer(clip.output[0])
        if mul is None or mul.op_type != "Mul" or set(mul.input) != {x, clip.output[0]}:
            continue
        div = gr.only_consumer(mul.output[0])
        if div is None or div.op_type != "Div" or div.input[0] != mul.output[0] or gr.scalar(div.input[1]) != 6.0:
            continue
        hs = helper.make_node("HardSwish", [x], [div.output[0]], name=f"{div.name or div.output[0]}_hardswish")
        nodes = list(gr.g.node)
        at = nodes.index(add)
        for n in (add, clip, mul, div):
            gr.g.node.remove(n)
        gr.g.node.insert(at, hs)
        gr.refresh()
        fused += 1
    return fused


def _scale_of(gr: _Graph, qnode: Any) -> float | None:
    """The scale of a per-tensor (De)QuantizeLinear, else None. A Q and its DQ share one scale
    initializer, so a rewrite gives the node it changes a new one and leaves the partner's alone."""
    if len(qnode.input) < 2 or qnode.input[1] not in gr.inits:
        return None
    return gr.scalar(qnode.input[1])


def _mul_into_dequantize(gr: _Graph) -> int:
    fused = 0
    for dq in [n for n in gr.g.node if n.op_type == "DequantizeLinear"]:
        scale = _scale_of(gr, dq)
        mul = gr.only_consumer(dq.output[0])
        if scale is None or mul is None or mul.op_type != "Mul":
            continue
        other = gr.other_input(mul, dq.output[0])
        m = gr.scalar(other) if other else None
        if m is None or m <= 0:
            continue
        dq.input[1] = gr.add_scalar(f"{dq.name or dq.output[0]}_scale_folded", scale * m)
        dq.output[0] = mul.output[0]
        gr.g.node.remove(mul)
        gr.refresh()
        fused += 1
    return fused


def _affine_into_quantize(gr: _Graph) -> int:
    fused = 0
    for q in [n for n in gr.g.node if n.op_type == "QuantizeLinear"]:
        scale = _scale_of(gr, q)
        add = gr.producer.get(q.input[0])
        if scale is None or add is None or add.op_type != "Add" or gr.only_consumer(add.output[0]) is not q:
            continue
        mul_out = next((i for i in add.input if gr.scalar(i) is None), None)
        bias_name = gr.other_input(add, mul_out) if mul_out else None
        bias = gr.scalar(bias_name) if bias_name else None
        mul = gr.producer.get(mul_out) if mul_out else None
        if bias is None or mul is None or mul.op_type != "Mul" or gr.only_consumer(mul.output[0]) is not add:
            continue
        y = next((i for i in mul.input if gr.scalar(i) is None), None)
        m_name = gr.other_input(mul, y) if y else None
        m = gr.scalar(m_name) if m_name else None
        if y is None or m is None or m <= 0:
            continue
        # y*m + b == m * (y + b/m): the Add keeps b/m, the QuantizeLinear's scale takes 1/m
        new_bias = gr.add_scalar(f"{add.name or add.output[0]}_folded_bias", bias / m)
        add.input[:] = [y, new_bias]
        q.input[1] = gr.add_scalar(f"{q.name or q.output[0]}_scale_folded", scale / m)
        gr.g.node.remove(mul)
        gr.refresh()
        fused += 1
    return fused


def _drop_unused(gr: _Graph) -> int:
    """Remove the constants and initializers no node reads any more (onnxruntime warns of each)."""
    used = {i for n in gr.g.node for i in n.input} | gr.outputs
    dead_nodes = [n for n in gr.g.node if n.op_type == "Constant" and n.output[0] not in used]
    dead_inits = [i for i in gr.g.initializer if i.name not in used]
    for n in dead_nodes:
        gr.g.node.remove(n)
    for i in dead_inits:
        gr.g.initializer.remove(i)
    return len(dead_nodes) + len(dead_inits)


def fuse_elementwise(model: Any) -> dict[str, int]:
    """Rewrite `model` in place; returns how many of each rewrite were made."""
    main = next(o for o in model.opset_import if o.domain in ("", "ai.onnx"))
    gr = _Graph(model)
    counts = {
        "hardswish": _hardswish(gr),
        "mul_into_dequantize": _mul_into_dequantize(gr),
        "affine_into_quantize": _affine_into_quantize(gr),
    }
    counts["unused_removed"] = _drop_unused(gr)
    if counts["hardswish"] and main.version < HARDSWISH_OPSET:
        main.version = HARDSWISH_OPSET  # no op of this graph changed meaning between 13 and 14
    onnx.checker.check_model(model)
    log.info("fused element-wise chains: %s", counts)
    return counts
