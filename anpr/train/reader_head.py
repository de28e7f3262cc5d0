"""The reader's plate head: PP-OCR's recogniser with its 6,625-class text head replaced by a plate head.

PP-OCRv4's backbone and SVTR neck see glyphs well, but its CTC head was trained on Chinese/English text,
not on the Chilean plate font at night: the eval misses are 5→6, W→V, G→C, K→A. Retraining the backbone
needs a GPU; the head is a 120→38 linear map per time step, which two CPU cores fit in minutes on cached
features. So: run the shipped int8 model up to the head's input once per training row (`features`),
fit a new head there (`anpr.train.head_fit`, torch), and write it back into the same graph in place of the
old one (`write_model`): backbone bytes unchanged, classes blank + 0-9A-Z + space (the dictionary in the
model's metadata, as the reader expects), fp32 head (it costs ~1 % of the model's time).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from anpr.ocr.ctc import ALPHABET
from anpr.train.head_data import HeadRow

log = logging.getLogger(__name__)

Tensor = npt.NDArray[np.float32]
CLASSES = len(ALPHABET) + 2
"""blank, the 36 plate characters, space (the reader's class layout: blank + dictionary + space)."""


class HeadError(Exception):
    """The model is not a PP-OCR recogniser this module knows how to re-head; the message says why."""


@dataclass(frozen=True, slots=True)
class HeadNodes:
    matmul: onnx.NodeProto
    add: onnx.NodeProto
    feature: str  # the head's input tensor, N×T×C
    weight: str  # the MatMul's weight input (possibly a DequantizeLinear output)
    bias: str


def head_nodes(model: onnx.ModelProto) -> HeadNodes:
    """The final MatMul + Add that feed the Softmax (via an optional QDQ pair, Flatten/Reshape)."""
    nodes = list(model.graph.node)
    matmuls = [n for n in nodes if n.op_type == "MatMul"]
    if not matmuls:
        raise HeadError("no MatMul in the graph")
    mm = matmuls[-1]
    by_input: dict[str, list[onnx.NodeProto]] = {}
    for n in nodes:
        for i in n.input:
            by_input.setdefault(i, []).append(n)
    # Follow the MatMul's output through a Quantize/Dequantize pair to the bias Add.
    out = mm.output[0]
    for _ in range(3):
        nxt = by_input.get(out, [])
        if len(nxt) != 1:
            break
        if nxt[0].op_type == "Add":
            add = nxt[0]
            bias = next(i for i in add.input if i != out)
            return HeadNodes(mm, add, mm.input[0], mm.input[1], bias)
        out = nxt[0].output[0]
    raise HeadError("the last MatMul does not feed a bias Add")


def constant_array(model: onnx.ModelProto, name: str) -> Tensor:
    """An initializer or Constant node's value, dequantised when it is a DequantizeLinear output."""
    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init).astype(np.float32)
    for n in model.graph.node:
        if name in n.output and n.op_type == "Constant":
            return numpy_helper.to_array(n.attribute[0].t).astype(np.float32)
        if name in n.output and n.op_type == "DequantizeLinear":
            q, scale, zero = (constant_array(model, i) for i in n.input)
            return ((q - zero) * scale).astype(np.float32)
    raise HeadError(f"no constant named {name}")


def old_head(model_path: Path) -> tuple[Tensor, Tensor, list[str]]:
    """(W C×K, b K, class labels with blank first) of a PP-OCR model's own head."""
    model = onnx.load(str(model_path))
    hn = head_nodes(model)
    meta = {p.key: p.value for p in model.metadata_props}
    if "character" in meta:
        labels = meta["character"].splitlines()
    else:
        labels = model_path.with_suffix(".dict.txt").read_text(encoding="utf-8").splitlines()
    return constant_array(model, hn.weight), constant_array(model, hn.bias), ["<blank>", *labels, " "]


def initial_head(w_old: Tensor, b_old: Tensor, characters: list[str]) -> tuple[Tensor, Tensor]:
    """The plate head that reads as the old one: each plate character takes its capital's column."""
    index = {c: i for i, c in enumerate(characters)}
    cols = [0, *(index[c] for c in ALPHABET), len(characters) - 1]
    return w_old[:, cols].copy(), b_old[cols].copy()


class FeatureExtractor:
    """Runs a PP-OCR model up to `tensor` (default: the head's input, the tensor the head's MatMul reads).

    Features are per time step: a tensor N×C×1×T (the backbone's output) comes back as T×C."""

    def __init__(self, model_path: Path, threads: int = 2, tensor: str | None = None) -> None:
        model = onnx.load(str(model_path))
        name = tensor or head_nodes(model).feature
        model.graph.output.insert(0, helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.output = name

    def __call__(self, x: Tensor) -> Tensor:
        out = np.asarray(self.session.run([self.output], {self.input: x[None]})[0][0], dtype=np.float32)
        return out[:, 0, :].T.copy() if out.ndim == 3 else out


@dataclass(frozen=True, slots=True)
class Features:
    feats: list[Tensor]  # T×C per row, float16 on disk
    texts: list[str]
    sources: list[str]
    groups: list[str]

    def save(self, path: Path) -> None:
        lengths = np.array([f.shape[0] for f in self.feats], np.int32)
        np.savez(
            path,
            feats=np.concatenate(self.feats).astype(np.float16),
            lengths=lengths,
            texts=np.array(self.texts),
            sources=np.array(self.sources),
            groups=np.array(self.groups),
        )

    @classmethod
    def load(cls, path: Path) -> Features:
        z = np.load(path)
        ends = np.cumsum(z["lengths"])
        flat = z["feats"].astype(np.float32)
        feats = [flat[e - n : e] for e, n in zip(ends, z["lengths"], strict=True)]
        return cls(feats, [str(t) for t in z["texts"]], [str(s) for s in z["sources"]], [str(g) for g in z["groups"]])


def features(rows: Iterable[HeadRow], extractor: FeatureExtractor, log_every: int = 2000) -> Features:
    feats: list[Tensor] = []
    texts: list[str] = []
    sources: list[str] = []
    groups: list[str] = []
    for k, row in enumerate(rows, 1):
        feats.append(extractor(row.x))
        texts.append(row.text)
        sources.append(row.source)
        groups.append(row.group)
        if k % log_every == 0:
            log.info("%d rows through the backbone", k)
    return Features(feats, texts, sources, groups)


def write_model(base: Path, out: Path, w: Tensor, b: Tensor) -> None:
    """`base` with its head replaced by (w C×38, b 38) in fp32 and the plate dictionary in its metadata."""
    model = onnx.load(str(base))
    hn = head_nodes(model)
    if w.shape != (constant_array(model, hn.weight).shape[0], CLASSES) or b.shape != (CLASSES,):
        raise HeadError(f"head shapes {w.shape}, {b.shape} do not fit the model")
    graph = model.graph
    # Drop everything between the MatMul and the Add (the old head's output QDQ pair): the head is fp32.
    keep: list[onnx.NodeProto] = []
    dropping = False
    for n in graph.node:
        if n is hn.matmul or n.name == hn.matmul.name:
            dropping = True
            continue
        if dropping and n.name == hn.add.name:
            dropping = False
            continue
        if not dropping:
            keep.append(n)
    w_name, b_name = "plate_head.w", "plate_head.b"
    at = next(i for i, n in enumerate(keep) if hn.add.output[0] in n.input)
    keep[at:at] = [
        helper.make_node("MatMul", [hn.feature, w_name], ["plate_head.mm"], name="plate_head.MatMul"),
        helper.make_node("Add", ["plate_head.mm", b_name], [hn.add.output[0]], name="plate_head.Add"),
    ]
    del graph.node[:]
    graph.node.extend(keep)
    graph.initializer.extend([numpy_helper.from_array(w.astype(np.float32), w_name)])
    graph.initializer.extend([numpy_helper.from_array(b.astype(np.float32), b_name)])
    _drop_unused(graph)
    for vi in list(graph.output):
        vi.type.tensor_type.shape.dim[-1].dim_value = CLASSES
    # The recorded intermediate shapes still say 6,625 classes (onnxruntime warns on each): infer them again.
    del graph.value_info[:]
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    del model.metadata_props[:]
    onnx.helper.set_model_props(
        model, {"character": "\n".join(ALPHABET), "head": "anpr plate head (train/reader_head.py)"}
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(out))


def _drop_unused(graph: onnx.GraphProto) -> None:
    """Removes nodes and initializers that no longer feed the outputs."""
    needed = {o.name for o in graph.output}
    kept: list[onnx.NodeProto] = []
    for n in reversed(list(graph.node)):
        if any(o in needed for o in n.output):
            kept.append(n)
            needed.update(n.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    inits = [i for i in graph.initializer if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
