#!/usr/bin/env python3
"""Write tests/data/crnn-random.onnx: the recognizer CRNN with tiny widths and random weights (seed 0).

It reads nothing; the reader tests use it for the plumbing (load, shapes, batching, decoding path,
errors). Needs torch + onnx (the [train] extra):  python scripts/make_recognizer_test_model.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    spec = importlib.util.spec_from_file_location("anpr_train_recognizer", ROOT / "anpr/train/recognizer.py")
    assert spec is not None and spec.loader is not None
    rec = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = rec
    spec.loader.exec_module(rec)
    import torch

    torch.manual_seed(0)
    net = rec.CRNN(32, (8, 16, 24, 32, 48), 24).eval()
    out = ROOT / "tests/data/crnn-random.onnx"
    digest = rec.export_onnx(net, out, 32, 128)
    print(f"wrote {out} ({out.stat().st_size} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
