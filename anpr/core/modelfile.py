"""A model file's sha256 and its `<model>.sha256` sidecar (sha256sum format), for loaders, exporters and scripts."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (models are megabytes; never all in memory at once)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_sha256(path: Path) -> str:
    """Write `<path>.sha256` in sha256sum format (what the runtime loaders verify), atomically; the digest."""
    digest = file_sha256(path)
    sidecar = path.with_name(path.name + ".sha256")
    tmp = sidecar.with_suffix(".tmp")
    tmp.write_text(f"{digest}  {path.name}\n", encoding="ascii")
    os.replace(tmp, sidecar)
    return digest
