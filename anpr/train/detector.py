"""Fine-tune the plate detector with ultralytics and export it to ONNX.

ultralytics (AGPL-3.0) and torch are imported only inside these functions: this module is part of the
`[train]` extra and never of the runtime import graph. Of `anpr` it imports only the hash helpers
(`anpr.core.onnx_model`, stdlib at import), so a GPU box runs it from a checkout without installing anpr
or its dependencies (`python -m anpr.train.gpu_detector`; tests/train/test_model_tools.py checks that).

The starting weights are fastanpr 0.1.13's `best.pt`, a YOLOv8n one-class plate detector (AGPL-3.0),
taken from the pinned wheel on PyPI and checked by sha256.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anpr.core.onnx_model import file_sha256, write_sha256

log = logging.getLogger(__name__)

BASE_PACKAGE = "fastanpr==0.1.13"
BASE_MEMBER = "fastanpr/best.pt"
BASE_SHA256 = "58f6ad86f35f09574e13484ead3346ae8cc052facae150041ed4a894ac2f3828"
BASE_DESCRIPTION = f"{BASE_PACKAGE} `{BASE_MEMBER}` (sha256 {BASE_SHA256[:16]}…), YOLOv8n, AGPL-3.0"
OPSET = 17
EXPORT_SIZES = (320, 416, 512, 640)


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 30
    time_hours: float | None = None
    """Wall-clock budget; when set, ultralytics fits its schedule (and lr decay) to it instead of `epochs`."""
    imgsz: int = 640
    batch: int = 16
    device: str = "cpu"
    workers: int = 2
    lr0: float = 0.002
    seed: int = 0
    patience: int = 50
    cache: bool = False
    """Keep decoded images in RAM (fast on a GPU box; ~1.5 GB for the real sets at 640)."""


def base_weights(cache_dir: Path, wheel: Path | None = None) -> Path:
    """fastanpr's best.pt in `cache_dir`, unpacked from `wheel` or from `pip download` of the pinned version."""
    target = cache_dir / "fastanpr-best.pt"
    if target.is_file() and file_sha256(target) == BASE_SHA256:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    if wheel is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache_dir), BASE_PACKAGE],
            check=True,
        )
        wheel = next(cache_dir.glob("fastanpr-0.1.13-*.whl"))
    with (
        zipfile.ZipFile(wheel) as zf,
        zf.open(BASE_MEMBER) as src,
        tempfile.NamedTemporaryFile(dir=cache_dir, delete=False) as tmp,
    ):
        shutil.copyfileobj(src, tmp)
    got = file_sha256(Path(tmp.name))
    if got != BASE_SHA256:
        Path(tmp.name).unlink()
        raise RuntimeError(f"{wheel}: {BASE_MEMBER} has sha256 {got}, expected {BASE_SHA256}; refusing to train on it")
    os.replace(tmp.name, target)
    return target


def offline_env(config_dir: Path) -> None:
    """Keep ultralytics from reaching the network or pip-installing anything (no internet on the GPU box).

    ultralytics compares YOLO_OFFLINE with the string "true" (8.3.150, utils.is_online), so "1" is not enough.
    It reads YOLO_AUTOINSTALL once, at import: call this before ultralytics is first imported. Otherwise an
    export "AutoUpdates" onnx with whatever `pip` is on PATH (seen here: it pip-installed onnx<1.18 globally).
    """
    config_dir = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir)))  # a caller's choice wins
    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_OFFLINE"] = "true"
    os.environ["YOLO_AUTOINSTALL"] = "false"
    os.environ.setdefault("WANDB_DISABLED", "true")
    import ultralytics.utils

    if ultralytics.utils.AUTOINSTALL:
        raise RuntimeError(
            "ultralytics was imported before offline_env(): it would pip-install packages; fix the caller"
        )


def train(data_yaml: Path, out_dir: Path, weights: Path, s: TrainSettings) -> Path:
    """Fine-tune `weights` on the dataset; returns the best checkpoint. Writes out_dir/train/."""
    offline_env(out_dir / "ultralytics-config")
    from ultralytics import YOLO
    from ultralytics.utils import SETTINGS

    SETTINGS.update({"sync": False, "hub": False, "wandb": False, "mlflow": False, "tensorboard": False})
    model = YOLO(str(weights))
    extra = {} if s.time_hours is None else {"time": s.time_hours}
    model.train(
        data=str(data_yaml.resolve()),
        epochs=s.epochs,
        imgsz=s.imgsz,
        batch=s.batch,
        nbs=s.batch,  # else ultralytics accumulates gradients up to 64 images and scales weight decay
        device=s.device,
        workers=s.workers,
        optimizer="AdamW",
        lr0=s.lr0,
        seed=s.seed,
        patience=s.patience,
        cache="ram" if s.cache else False,
        single_cls=True,
        plots=False,
        project=str(out_dir.resolve()),
        name="train",
        exist_ok=True,
        verbose=False,
        **extra,
    )
    best = out_dir / "train" / "weights" / "best.pt"
    if not best.is_file():
        raise RuntimeError(f"training finished without {best}")
    return best


def export_onnx(weights: Path, imgsz: int, dest: Path) -> Path:
    """Export to ONNX: fixed opset, simplified, batch 1, static shape, fp32, the DFL softmax on the last axis.
    Writes `dest` and `dest`.sha256."""
    offline_env(dest.parent / "ultralytics-config")
    import torch
    from ultralytics import YOLO

    with tempfile.TemporaryDirectory() as tmp, _torchscript_onnx_exporter(torch):
        # Export writes next to the weights; work on a copy so several sizes don't overwrite each other.
        copy = Path(tmp) / "model.pt"
        shutil.copy2(weights, copy)
        produced = YOLO(str(copy)).export(
            format="onnx", imgsz=imgsz, opset=OPSET, simplify=True, dynamic=False, half=False, batch=1, device="cpu"
        )
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), dest)
    import onnx

    from anpr.train.onnx_dfl import dfl_softmax_last_axis

    graph = onnx.load(str(dest))
    if dfl_softmax_last_axis(graph):  # same outputs, ~8 % less time per frame (see anpr/train/onnx_dfl.py)
        onnx.checker.check_model(graph)
        onnx.save(graph, str(dest))
    write_sha256(dest)
    log.info("exported %s (%d bytes)", dest, dest.stat().st_size)
    return dest


@contextlib.contextmanager
def _torchscript_onnx_exporter(torch: Any) -> Iterator[None]:
    """Make torch.onnx.export default to the TorchScript exporter (dynamo=False).

    torch >= 2.9 defaults to the dynamo exporter, which needs onnxscript and ignores the opset ultralytics
    8.3.150 asks for; the TorchScript exporter gives the fixed-opset graph this model card describes.
    """
    original = torch.onnx.export

    def export(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("dynamo", False)
        return original(*args, **kwargs)

    torch.onnx.export = export
    try:
        yield
    finally:
        torch.onnx.export = original
