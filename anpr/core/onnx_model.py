"""ONNX model files: their sha256 and `<model>.sha256` sidecar, and the one way the program opens a session.

The detector and both readers load through `load_model`, so a missing, replaced or unloadable model stops
start-up with one error (`ModelError`) whose message names the file and the command that rebuilds it.
onnxruntime is imported only when a session is opened: the model-building tools (and a bare GPU box
running `python -m anpr.train.gpu_detector`) use the hash helpers without it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
SIDECAR_MAX_BYTES = 4096
"""A sidecar is one sha256sum line; more is never read (the file is as untrusted as the model)."""


class ModelError(Exception):
    """A model file is missing, not the recorded one, or unloadable; the message names the file and what to do."""


@dataclass(frozen=True)
class ModelSource:
    """A model the program loads, in the words its errors use: the config keys and the rebuild command."""

    path: Path
    sha256: str | None = ""
    """The expected hash; "": the one in `<path>.sha256`; None: not checked."""
    rebuild: str = ""
    """What restores or rebuilds the file, e.g. "rebuild it with `anpr train detector`"."""
    model_key: str = "model"
    sha256_key: str = "sha256"


@dataclass(frozen=True)
class SessionSettings:
    """How the session runs: the threads and execution providers of one `[section]`."""

    threads: int = 1
    """0: `auto_threads()`."""
    providers: Sequence[str] = ("CPUExecutionProvider",)
    providers_key: str = "providers"
    allow_spinning: bool = False


def auto_threads() -> int:
    """Intra-op threads for `threads = 0`: half the cores this process may use (at least one). The detect
    worker and the read worker run at once (anpr/app/overlap.py), so each model gets its share, not all."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // 2)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (models are megabytes; never all in memory at once)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sidecar_path(model: Path) -> Path:
    return model.with_name(model.name + ".sha256")


def write_sha256(path: Path) -> str:
    """Write `<path>.sha256` in sha256sum format (what `recorded_sha256` reads), atomically; the digest."""
    digest = file_sha256(path)
    sidecar = sidecar_path(path)
    tmp = sidecar.with_suffix(".tmp")
    tmp.write_text(f"{digest}  {path.name}\n", encoding="ascii")
    os.replace(tmp, sidecar)
    return digest


def recorded_sha256(src: ModelSource) -> str:
    """The hash in `<model>.sha256`, lower-case: its first token must be 64 hex digits (either case, as
    sha256sum and other tools write them). ModelError when the sidecar is missing, unreadable or malformed."""
    model, sidecar = src.path, sidecar_path(src.path)
    how = f"write it with `sha256sum {model.name} > {sidecar.name}` next to the model, or set {src.sha256_key}"
    try:
        with open(sidecar, "rb") as f:
            head = f.read(SIDECAR_MAX_BYTES)
    except FileNotFoundError:
        raise ModelError(f"{model}: no sha256 sidecar {sidecar.name}; {src.rebuild}, or {how}") from None
    except OSError as err:
        raise ModelError(f"{sidecar}: cannot read the model's recorded sha256 ({err}); {how}") from None
    tokens = head.split(maxsplit=1)
    first = tokens[0].decode("ascii", "replace") if tokens else ""
    if not SHA256_HEX.fullmatch(first):
        raise ModelError(f"{sidecar}: does not start with a 64-hex-digit sha256 (sha256sum format); {how}")
    return first.lower()


def verify_model(src: ModelSource) -> str:
    """Checks the file exists and has the expected sha256 (unless `src.sha256` is None); the file's sha256."""
    if not src.path.is_file():
        raise ModelError(f"{src.path}: model file not found; {src.rebuild}, or set {src.model_key}")
    want = recorded_sha256(src) if src.sha256 == "" else src.sha256
    got = file_sha256(src.path)
    if want is not None and got != want.lower():
        raise ModelError(
            f"{src.path}: sha256 {got} does not match the recorded {want.lower()} (a corrupt copy or another "
            f"model); {src.rebuild}, or set {src.sha256_key} to run your own model"
        )
    return got


def choose_providers(wanted: Sequence[str], key: str) -> list[str]:
    """The wanted execution providers this onnxruntime build has, in order.

    A name onnxruntime does not know (a typo) is refused; a known one this build lacks (CUDA on a Pi) is
    skipped with a warning, so `["CUDAExecutionProvider", "CPUExecutionProvider"]` works on both devices.
    """
    import onnxruntime as ort

    known = set(ort.get_all_providers())
    available = ort.get_available_providers()
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise ModelError(
            f"{key}: unknown onnxruntime execution provider {', '.join(map(repr, unknown))}; "
            f"valid names: {', '.join(sorted(known))}"
        )
    missing = [p for p in wanted if p not in available]
    if missing:
        log.warning("%s: not in this onnxruntime build, skipped: %s", key, ", ".join(missing))
    chosen = [p for p in wanted if p in available]
    if not chosen:
        raise ModelError(
            f"none of {key} {list(wanted)} is available in this onnxruntime build (it has {available}); "
            "add CPUExecutionProvider as a fallback, or install the onnxruntime build for this device"
        )
    return chosen


def open_session(path: Path, settings: SessionSettings, rebuild: str = "") -> ort.InferenceSession:
    """An onnxruntime session on `path` with the program's options; ModelError when it cannot load."""
    import onnxruntime as ort

    providers = choose_providers(settings.providers, settings.providers_key)  # its own message says what to fix
    opts = ort.SessionOptions()
    opts.enable_mem_pattern = False  # measured: peak RSS 368 -> 343 MB on the gantry bench, same speed
    opts.intra_op_num_threads = settings.threads or auto_threads()
    opts.inter_op_num_threads = 1
    # Busy-waiting threads would burn the cores that capture and the other model share with us.
    spin = "1" if settings.allow_spinning else "0"
    opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
    opts.add_session_config_entry("session.inter_op.allow_spinning", spin)
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=providers)
    except Exception as err:  # onnxruntime raises its own untyped errors for a bad graph
        raise ModelError(f"{path}: onnxruntime cannot load the model ({err}); {rebuild}") from None


def load_model(src: ModelSource, settings: SessionSettings) -> tuple[ort.InferenceSession, str]:
    """`verify_model` then `open_session`: the session and the file's sha256 (for the model's version)."""
    digest = verify_model(src)
    return open_session(src.path, settings, src.rebuild), digest
