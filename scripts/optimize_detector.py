#!/usr/bin/env python3
"""Apply the DFL last-axis rewrite (`anpr/train/onnx_dfl.py`) to an exported YOLOv8 ONNX file.

`anpr train detector` applies it at export; this script applies it to a file exported before that, and
checks on random and real-looking inputs that the outputs are unchanged before it writes anything:

    python scripts/optimize_detector.py models/plate-detector.onnx        # rewrites it and its .sha256
    python scripts/optimize_detector.py IN.onnx --out OUT.onnx
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from anpr.core.onnx_model import write_sha256  # noqa: E402
from anpr.train.onnx_dfl import dfl_softmax_last_axis  # noqa: E402


def _outputs(path: Path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(None, {sess.get_inputs()[0].name: x})[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="default: rewrite MODEL in place")
    args = ap.parse_args()
    out = args.out or args.model
    graph = onnx.load(str(args.model))
    if not dfl_softmax_last_axis(graph):
        print(f"{args.model}: no DFL of the known shape (already rewritten?); nothing written")
        return 1
    onnx.checker.check_model(graph)
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / "candidate.onnx"
        onnx.save(graph, str(candidate))
        rng = np.random.default_rng(0)
        worst = 0.0
        for _ in range(3):
            x = rng.random((1, 3, 640, 640), dtype=np.float32)
            worst = max(worst, float(np.abs(_outputs(args.model, x) - _outputs(candidate, x)).max()))
        print(f"max abs output difference on 3 inputs: {worst:g}")
        if worst > 1e-4:
            print("outputs differ: nothing written")
            return 1
        out.write_bytes(candidate.read_bytes())
    digest = write_sha256(out)
    print(f"wrote {out} (sha256 {digest}) and its .sha256")
    return 0


if __name__ == "__main__":
    sys.exit(main())
