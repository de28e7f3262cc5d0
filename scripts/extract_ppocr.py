#!/usr/bin/env python3
"""Re-extract the shipped plate reader from the pinned rapidocr-onnxruntime wheel (Apache-2.0).

    python scripts/extract_ppocr.py [--wheel PATH] [--out models]

Takes `ch_PP-OCRv4_rec_infer.onnx` and the character dictionary stored in its metadata, writes
models/plate-reader.onnx and models/plate-reader.dict.txt, and verifies both sha256 sums. Downloads the
wheel with `pip download --no-deps` when no --wheel is given and none is cached in the temp folder.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "rapidocr-onnxruntime==1.4.4"
WHEEL_NAME = "rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
WHEEL_SHA256 = "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf"
MEMBER = "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"
MODEL_SHA256 = "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"
MAX_BYTES = 15 * 1024 * 1024


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_wheel(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    cache = Path(tempfile.gettempdir()) / "anpr-wheels"
    wheel = cache / WHEEL_NAME
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(cache), PACKAGE]
        print("downloading:", " ".join(cmd))
        subprocess.run(cmd, check=True)
    return wheel


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", type=Path, help=f"a downloaded {WHEEL_NAME}")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    args = ap.parse_args()
    wheel = find_wheel(args.wheel)
    data = wheel.read_bytes()
    if sha256(data) != WHEEL_SHA256:
        print(f"error: {wheel} has sha256 {sha256(data)}, expected {WHEEL_SHA256}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(wheel) as zf:
        model = zf.read(MEMBER)
    if sha256(model) != MODEL_SHA256 or len(model) > MAX_BYTES:
        print(f"error: {MEMBER} has sha256 {sha256(model)} ({len(model)} bytes)", file=sys.stderr)
        return 1
    import onnxruntime as ort  # only to read the dictionary from the model's metadata

    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    characters = session.get_modelmeta().custom_metadata_map["character"].splitlines()
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / "plate-reader.onnx", model)
    # one label per line, class i+1 of the model (class 0 is the CTC blank, the last class a space)
    write_atomic(args.out / "plate-reader.dict.txt", ("\n".join(characters) + "\n").encode("utf-8"))
    print(f"wrote {args.out / 'plate-reader.onnx'} ({len(model)} bytes, sha256 {MODEL_SHA256})")
    print(f"wrote {args.out / 'plate-reader.dict.txt'} ({len(characters)} labels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
