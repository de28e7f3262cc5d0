"""Re-extract the shipped plate reader from the pinned rapidocr-onnxruntime wheel (Apache-2.0).

`anpr train extract-ppocr [--wheel PATH] [--out models]` takes `ch_PP-OCRv4_rec_infer.onnx` and the
character dictionary stored in its metadata, writes plate-reader.onnx (+ its .sha256 sidecar) and
plate-reader.dict.txt, and checks the wheel's and the model's sha256 against the pinned ones. Without
--wheel it runs `pip download --no-deps` (PyPI) into a cache folder under the temp dir.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from anpr.core.onnx_model import write_sha256
from anpr.train.quantize import BuildError

log = logging.getLogger(__name__)

PACKAGE = "rapidocr-onnxruntime==1.4.4"
WHEEL_NAME = "rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
WHEEL_SHA256 = "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf"
MEMBER = "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"
MODEL_SHA256 = "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"
MAX_BYTES = 15 * 1024 * 1024
MODEL_NAME = "plate-reader.onnx"
DICT_NAME = "plate-reader.dict.txt"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_wheel(explicit: Path | None) -> Path:
    """The given wheel, else the cached download, else a fresh `pip download` of the pinned version."""
    if explicit is not None:
        return explicit
    cache = Path(tempfile.gettempdir()) / "anpr-wheels"
    wheel = cache / WHEEL_NAME
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(cache), PACKAGE]
        log.info("downloading: %s", " ".join(cmd))
        if subprocess.run(cmd, check=False).returncode != 0 or not wheel.exists():
            raise BuildError(f"`{' '.join(cmd)}` did not give {WHEEL_NAME}; download it and pass --wheel")
    return wheel


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def extract(wheel: Path, out: Path) -> tuple[Path, int]:
    """Writes out/plate-reader.onnx (+ .sha256) and its dictionary; (model path, number of labels)."""
    data = wheel.read_bytes()
    if sha256(data) != WHEEL_SHA256:
        raise BuildError(f"{wheel}: sha256 {sha256(data)} is not the pinned {PACKAGE} wheel's {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as zf:
        if zf.getinfo(MEMBER).file_size > MAX_BYTES:
            raise BuildError(f"{wheel}: {MEMBER} is larger than {MAX_BYTES} bytes")
        model = zf.read(MEMBER)
    if sha256(model) != MODEL_SHA256:
        raise BuildError(f"{wheel}: {MEMBER} has sha256 {sha256(model)}, expected {MODEL_SHA256}")
    import onnxruntime as ort  # only to read the dictionary from the model's metadata

    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    characters = session.get_modelmeta().custom_metadata_map["character"].splitlines()
    out.mkdir(parents=True, exist_ok=True)
    target = out / MODEL_NAME
    write_atomic(target, model)
    write_sha256(target)
    # one label per line, class i+1 of the model (class 0 is the CTC blank, the last class a space)
    write_atomic(out / DICT_NAME, ("\n".join(characters) + "\n").encode("utf-8"))
    return target, len(characters)
