"""A YOLOv8 ONNX graph rewrite: the Detect head's DFL softmax on the last axis.

The exported head reshapes the box logits to 1×4×16×A, transposes them to 1×16×4×A, takes a softmax over
axis 1 and sums the 16 bins with a fixed 1×1 conv (weights 0..15). onnxruntime's Softmax on a non-last
axis transposes internally and is slow (about 5 ms of 50 per frame here). Transposing to 1×4×A×16 instead,
softmax over the last axis, then a MatMul with the same 16 weights gives the very same numbers (measured:
max abs difference 0.0) in less time. Needs the `onnx` package (the `[train]` extra), never at run time.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "/model.22/dfl/"


def dfl_softmax_last_axis(model: Any) -> bool:
    """Rewrite `model` (an onnx.ModelProto) in place; False when its graph has no DFL of the known shape."""
    import numpy as np
    from onnx import helper, numpy_helper

    g = model.graph
    nodes = {n.name: n for n in g.node}
    tr, sm, conv = (nodes.get(PREFIX + k) for k in ("Transpose", "Softmax", "conv/Conv"))
    if tr is None or sm is None or conv is None:
        return False
    perm = next((list(a.ints) for a in tr.attribute if a.name == "perm"), None)
    weight = next((i for i in g.initializer if i.name == conv.input[1]), None)
    if perm != [0, 2, 1, 3] or weight is None or numpy_helper.to_array(weight).size != 16:
        return False
    for a in tr.attribute:
        if a.name == "perm":
            del a.ints[:]
            a.ints.extend([0, 1, 3, 2])
    for a in sm.attribute:
        if a.name == "axis":
            a.i = 3
    bins = numpy_helper.from_array(numpy_helper.to_array(weight).reshape(16, 1).astype(np.float32), PREFIX + "bins")
    matmul = helper.make_node("MatMul", [sm.output[0], bins.name], [conv.output[0]], name=PREFIX + "MatMul")
    at = list(g.node).index(conv)
    g.node.remove(conv)
    g.node.insert(at, matmul)
    g.initializer.remove(weight)
    g.initializer.append(bins)
    stale = {tr.output[0], sm.output[0], conv.output[0]}  # their recorded shapes changed
    for vi in [v for v in g.value_info if v.name in stale]:
        g.value_info.remove(vi)
    log.info("DFL softmax moved to the last axis")
    return True


def optimize_file(model: Path, out: Path, tolerance: float = 1e-4) -> tuple[str, float]:
    """Apply the rewrite to an exported file and write `out` (+ its .sha256) only if the outputs on three
    random inputs stay within `tolerance`; (sha256, max abs difference). ValueError when nothing is written."""
    import tempfile

    import numpy as np
    import onnx
    import onnxruntime as ort

    from anpr.core.onnx_model import write_sha256

    try:
        graph = onnx.load(str(model))
    except Exception as err:  # protobuf's DecodeError and friends
        raise ValueError(f"{model}: not an ONNX model ({err})") from None
    if not dfl_softmax_last_axis(graph):
        raise ValueError(f"{model}: no DFL of the known shape (already rewritten?); nothing written")
    onnx.checker.check_model(graph)
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / "candidate.onnx"
        onnx.save(graph, str(candidate))
        before = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        after = ort.InferenceSession(str(candidate), providers=["CPUExecutionProvider"])
        inp = before.get_inputs()[0]
        shape = [d if isinstance(d, int) else 1 for d in inp.shape]  # a dynamic batch: one image
        rng = np.random.default_rng(0)
        worst = 0.0
        for _ in range(3):
            x = rng.random(shape, dtype=np.float32)
            a, b = before.run(None, {inp.name: x})[0], after.run(None, {inp.name: x})[0]
            worst = max(worst, float(np.abs(np.asarray(a) - np.asarray(b)).max()))
        if worst > tolerance:
            raise ValueError(f"{model}: outputs differ by {worst:g} after the rewrite; nothing written")
        del before, after
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = out.with_name(out.name + ".tmp")
        tmp_out.write_bytes(candidate.read_bytes())
        tmp_out.replace(out)
    return write_sha256(out), worst
