"""The reader's SVTR neck as a trainable torch module, and the re-necked, re-headed model written back.

The linear plate head alone (`reader_head`) cannot undo what the neck already mixed across time steps;
the neck (two small transformer blocks, 332 k weights) is what fine-tuning on plates can afford on a CPU.
`neck_graph` cuts it out of the fp32 PP-OCR model (Constant weights made initializers, batch norms folded
into the convolutions by onnxruntime's basic optimiser, checked equal), onnx2torch makes it a module whose
weight tensors are matched back to the ONNX initializers by value, and `write_model` puts the trained
values into that same graph and joins it to the int8 backbone, so the shipped graph is the one measured.
onnx2torch and torch are fit-time dependencies only.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx import compose, helper, numpy_helper, shape_inference, utils, version_converter

from anpr.ocr.ctc import ALPHABET
from anpr.train.reader_head import CLASSES, HeadError, head_nodes

log = logging.getLogger(__name__)

Tensor = npt.NDArray[np.float32]
BACKBONE_OUT = "p2o.AveragePool.1"
"""PP-OCRv4 rec's backbone output (N×480×1×T), the neck's input, in both the fp32 and the int8 graph."""
OPSET = 13


def _constants_to_initializers(model: onnx.ModelProto) -> None:
    keep = []
    for n in model.graph.node:
        if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            t = onnx.TensorProto()
            t.CopyFrom(n.attribute[0].t)
            t.name = n.output[0]
            model.graph.initializer.append(t)
        else:
            keep.append(n)
    del model.graph.node[:]
    model.graph.node.extend(keep)


def neck_graph(fp32_model: Path) -> onnx.ModelProto:
    """The neck (backbone output → head input) of the fp32 model, batch norms folded, opset 13."""
    model = onnx.load(str(fp32_model))
    _constants_to_initializers(model)
    model = shape_inference.infer_shapes(model)
    feature = head_nodes(model).feature
    neck = utils.Extractor(model).extract_model([BACKBONE_OUT], [feature])
    dims = neck.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_param, dims[2].dim_value, dims[3].dim_param = "N", 1, "T"
    del neck.graph.value_info[:]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "neck.onnx", Path(tmp) / "neck-opt.onnx"
        onnx.save(shape_inference.infer_shapes(neck), str(src))
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        opts.optimized_model_filepath = str(dst)
        ort.InferenceSession(str(src), opts, providers=["CPUExecutionProvider"])
        folded = onnx.load(str(dst))
    return version_converter.convert_version(folded, OPSET)


def to_torch(neck: onnx.ModelProto) -> tuple[Any, dict[str, str]]:
    """(torch module, {module tensor name: ONNX initializer name}) with every weight tensor trainable."""
    import onnx2torch
    import torch

    net = onnx2torch.convert(neck)
    by_value = {i.name: numpy_helper.to_array(i) for i in neck.graph.initializer if np.prod(i.dims) >= 60}
    names: dict[str, str] = {}
    for name, p in net.named_parameters():
        names[name] = _match(p.detach().numpy(), by_value, name)
    for name, buf in list(net.named_buffers()):
        if buf.dtype != torch.float32 or buf.numel() < 60:
            continue
        owner, attr = name.rsplit(".", 1)
        mod = net.get_submodule(owner)
        delattr(mod, attr)
        mod.register_parameter(attr, torch.nn.Parameter(buf.clone()))
        names[name] = _match(buf.numpy(), by_value, name)
    return net, names


def _match(value: npt.NDArray[Any], by_value: dict[str, npt.NDArray[Any]], what: str) -> str:
    found = [k for k, v in by_value.items() if v.shape == value.shape and np.array_equal(v, value)]
    if len(found) != 1:
        raise HeadError(f"cannot map {what} to one ONNX initializer ({len(found)} candidates)")
    return found[0]


def write_model(
    int8_model: Path, neck: onnx.ModelProto, trained: dict[str, Tensor], w: Tensor, b: Tensor, out: Path
) -> None:
    """int8 backbone + `neck` with `trained` initializer values (fp32) + plate head (w C×38, b) + softmax."""
    neck = onnx.ModelProto.FromString(neck.SerializeToString())
    for init in neck.graph.initializer:
        if init.name in trained:
            init.CopyFrom(numpy_helper.from_array(trained[init.name].astype(np.float32), init.name))
    feature = neck.graph.output[0].name
    g = neck.graph
    g.initializer.extend([numpy_helper.from_array(w.astype(np.float32), "plate_head.w")])
    g.initializer.extend([numpy_helper.from_array(b.astype(np.float32), "plate_head.b")])
    g.node.extend(
        [
            helper.make_node("MatMul", [feature, "plate_head.w"], ["plate_head.mm"], name="plate_head.MatMul"),
            helper.make_node("Add", ["plate_head.mm", "plate_head.b"], ["plate_head.logits"], name="plate_head.Add"),
            helper.make_node("Softmax", ["plate_head.logits"], ["probs"], name="plate_head.Softmax", axis=-1),
        ]
    )
    del g.output[:]
    g.output.extend([helper.make_tensor_value_info("probs", onnx.TensorProto.FLOAT, ["N", "T", CLASSES])])
    base = onnx.load(str(int8_model))
    backbone = utils.Extractor(base).extract_model([base.graph.input[0].name], [BACKBONE_OUT])
    # the shipped backbone may be at opset 14 (its fused HardSwish, anpr.train.onnx_fuse); the neck's ops
    # mean the same at 13 and 14
    opset = max([OPSET] + [o.version for o in base.opset_import if o.domain in ("", "ai.onnx")])
    for m in (backbone, neck):
        del m.opset_import[:]
        m.opset_import.extend([helper.make_opsetid("", opset)])
        m.ir_version = base.ir_version
    merged = compose.merge_models(backbone, neck, io_map=[(BACKBONE_OUT, BACKBONE_OUT)])
    del merged.metadata_props[:]
    helper.set_model_props(
        merged, {"character": "\n".join(ALPHABET), "head": "anpr plate neck+head (train/reader_neck.py)"}
    )
    onnx.checker.check_model(merged)
    onnx.save(merged, str(out))
