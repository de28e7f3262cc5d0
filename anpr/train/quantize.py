"""What the two static int8 quantisers share (`anpr train quantize-reader|quantize-detector`).

onnx and onnxruntime's quantisation tools are imported by the modules that use these helpers, never at
run time: quantised models are built here and shipped as files.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import onnxruntime as ort

MAX_BYTES = 15_000_000
"""Largest model the project ships (the Pi's SD card and the release size)."""


class BuildError(Exception):
    """A model-building tool cannot go on; the message says why and what to change."""


def check_train_root(train_root: Path) -> None:
    """Refuse an eval folder: eval sets are for the final measurement only, never for building models."""
    if "eval" in train_root.resolve().parts:
        raise BuildError(f"refusing to use {train_root}: eval sets are for measuring only, give a train folder")


def cpu_session(path: Path, threads: int = 2) -> ort.InferenceSession:
    """A plain CPU session for comparing models (not the runtime's; no sha256 sidecar needed)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime's own untyped errors: a missing file, a bad graph
        raise BuildError(f"{path}: onnxruntime cannot load it ({err})") from None


def load_onnx(path: Path) -> Any:
    """The onnx.ModelProto in `path`; BuildError when it is no ONNX model."""
    import onnx

    try:
        return onnx.load(str(path))
    except Exception as err:  # protobuf's DecodeError and friends
        raise BuildError(f"{path}: not an ONNX model ({err})") from None


def name_nodes(model: Any) -> None:
    """Give every unnamed node of an onnx.ModelProto a unique name (the quantiser excludes nodes by name)."""
    seen = {n.name for n in model.graph.node if n.name}
    for i, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{i}"
            while name in seen:
                name += "_"
            node.name = name
            seen.add(name)


def copy_metadata(original: Any, quantised: Any) -> None:
    """Copy the original's metadata (the reader's character dictionary, ultralytics' names) the quantiser dropped."""
    have = {p.key for p in quantised.metadata_props}
    for prop in original.metadata_props:
        if prop.key not in have:
            quantised.metadata_props.add(key=prop.key, value=prop.value)


def op_counts(model: Any) -> dict[str, int]:
    """Nodes per op type, sorted by name."""
    return dict(sorted(Counter(n.op_type for n in model.graph.node).items()))
