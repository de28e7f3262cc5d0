#!/usr/bin/env python3
"""Train the plate recognizer CRNN on a GPU box that has only torch, numpy, opencv and onnx.

    python3 scripts/gpu_train_recognizer.py build/rec_data OUT --minutes 4 --device cuda

DATA is a folder from `anpr train recognizer-data` (carry it); OUT gets plate-recognizer.onnx (+ .sha256),
recognizer.pt, charset.txt and metrics.json. Ship it afterwards, on the dev box:
`anpr train recognizer --out OUT --skip-train --ship`. Loads anpr/train/recognizer.py by its path, so no
anpr dependency (pydantic, onnxruntime ...) needs to be installed here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "anpr" / "train" / "recognizer.py"


def main() -> int:
    spec = importlib.util.spec_from_file_location("anpr_train_recognizer", SOURCE)
    if spec is None or spec.loader is None:
        print(f"cannot load {SOURCE}", file=sys.stderr)
        return 2
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    rc: int = module.main(sys.argv[1:])
    return rc


if __name__ == "__main__":
    sys.exit(main())
