"""Multiply-accumulates per inference of an ONNX model, from onnx's shape inference (docs/deploy.md uses
them to put the Raspberry Pi 5 on paper).

    python -m anpr.bench.macs models/plate-detector.onnx
    python -m anpr.bench.macs models/plate-reader.onnx --shape 1,3,48,160

Conv, ConvTranspose, MatMul and Gemm are counted (they are >95 % of the work of these CNN/SVTR models);
a QDQ int8 model counts the same as its fp32 original. Needs the `onnx` package (the test/train extras).
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from typing import Any


def _dims(vi: Any) -> list[int] | None:
    dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    return dims if dims and all(d > 0 for d in dims) else None


def _run_shapes(model: Any, names: set[str]) -> dict[str, list[int]]:
    """The shapes of tensors `names` in one onnxruntime run of `model` on zeros (fixed input shapes)."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    m = onnx.ModelProto()
    m.CopyFrom(model)
    m.graph.output.extend(onnx.helper.make_empty_tensor_value_info(n) for n in sorted(names))
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    outs = sess.run(None, {inp.name: np.zeros(dims, np.float32)})
    return {o.name: list(v.shape) for o, v in zip(sess.get_outputs(), outs, strict=True) if o.name in names}


def count_macs(path: str, shape: tuple[int, ...] | None = None) -> tuple[int, Counter[str], list[str]]:
    """(total MACs, MACs per op type, ops whose shapes could not be inferred) for one input of `shape`."""
    import onnx
    from onnx import shape_inference

    model = onnx.load(path)
    graph = model.graph
    inits = {i.name: list(i.dims) for i in graph.initializer}
    first = next(i for i in graph.input if i.name not in inits)
    if shape is not None:
        for dim, value in zip(first.type.tensor_type.shape.dim, shape, strict=True):
            dim.ClearField("dim_param")
            dim.dim_value = value
    inferred = shape_inference.infer_shapes(model, data_prop=True).graph
    shapes: dict[str, list[int]] = dict(inits)
    for vi in [*inferred.input, *inferred.value_info, *inferred.output]:
        dims = _dims(vi)
        if dims is not None:
            shapes[vi.name] = dims
    missing = [
        n
        for n in inferred.node
        if n.op_type in ("Conv", "ConvTranspose", "MatMul", "Gemm") and any(x not in shapes for x in n.input[:2])
    ]
    if missing:  # shapes computed at run time (SVTR's reshapes): run the model once on zeros and read them
        shapes.update(_run_shapes(model, {x for n in missing for x in (*n.input[:2], n.output[0])} - set(shapes)))
    per_op: Counter[str] = Counter()
    unknown: list[str] = []
    for node in inferred.node:
        if node.op_type not in ("Conv", "ConvTranspose", "MatMul", "Gemm"):
            continue
        out = shapes.get(node.output[0])
        w = shapes.get(node.input[1])
        if out is None or w is None:
            unknown.append(f"{node.op_type} {node.name}")
            continue
        if node.op_type in ("Conv", "ConvTranspose"):
            # weight: (Cout, Cin/group, kh, kw) -> each output element takes Cin/group*kh*kw MACs
            macs = math.prod(out) * math.prod(w[1:])
            if node.op_type == "ConvTranspose":
                macs = math.prod(shapes.get(node.input[0], out)) * math.prod(w[1:]) * w[0] // max(w[1], 1)
        else:
            a = shapes.get(node.input[0])
            k = a[-1] if a else w[0]
            if node.op_type == "Gemm" and any(at.name == "transA" and at.i for at in node.attribute) and a:
                k = a[0]
            macs = math.prod(out) * k
        per_op[node.op_type] += macs
    return sum(per_op.values()), per_op, unknown


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--shape", help="input shape for dynamic models, e.g. 1,3,48,160")
    args = ap.parse_args(argv)
    shape = tuple(int(x) for x in args.shape.split(",")) if args.shape else None
    for m in args.models:
        total, per_op, unknown = count_macs(m, shape)
        ops = ", ".join(f"{k} {v / 1e6:.1f}M" for k, v in per_op.most_common())
        note = f"; shapes unknown for {len(unknown)} op(s)" if unknown else ""
        print(f"{m}: {total / 1e9:.3f} GMAC ({ops}){note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
