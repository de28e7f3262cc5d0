"""The wide-input variant of the detector: the same weights for frames as wide as 16:9.

A 16:9 frame letterboxed into the square 640×640 input fills 640×360 of it; the rest is grey rows the
network still convolves. `anpr train resize-detector --size 640x384` writes the same graph for a 640×384
input (same weights, anchors for the new grid) and stamps it with the sha256 of the model it was made
from. Frames at least as wide as that input go through it at the square input's scale (the same pixels
per plate) in ~60 % of the work; narrower frames (4:3 USB cameras, portrait photos) keep the square one.

Lane variants: a camera whose `detector.roi` leaves out the sky or the far road hands the detector a crop
wider than 16:9, letterboxed into 640×384 with grey rows again. With `auto`, every `<model stem>-640xH.onnx`
beside the model with H < 384 (`--size 640x256`, `640x288`, ...) is a lane variant: a crop at least as wide
as one goes through the shortest that holds it, at the same scale, opened on first use (measured on the
gantry clip with its top quarter left out: 640×288 ~23 % less detector time, the same plates).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from anpr.core.datafiles import find_data_file
from anpr.detect.config import DetectorConfig

log = logging.getLogger(__name__)

WIDE_SUFFIX = "-640x384"
"""`auto` looks for `<model stem>-640x384.onnx` beside the model (what `--size 640x384` writes)."""
SOURCE_KEY = "anpr.resized_from"
"""Metadata key of a resized graph: the sha256 of the model file it was made from."""
SOURCE_INPUT_KEY = "anpr.resized_from_input"
"""Metadata key of a resized graph: that model's input, `WIDTHxHEIGHT`."""


def variant_path(model: str, setting: str, suffix: str, what: str, without: str) -> Path | None:
    """The resized variant a setting (`wide_model`, `focus_model`) asks for: None when off (empty), or when
    `auto` finds no `<model stem><suffix>.onnx` beside `model` (logged as no `what`, and `without`: what
    happens then); otherwise that file, or the configured path."""
    if not setting:
        return None
    if setting == "auto":
        path = Path(model)
        candidate = path.with_name(path.stem + suffix + path.suffix)
        if candidate.is_file():
            return candidate
        log.info("no %s %s: %s", what, candidate, without)
        return None
    return Path(find_data_file(setting))


def wide_path(cfg: DetectorConfig) -> Path | None:
    """The wide model the config asks for: None when off, or when `auto` finds no file beside the model."""
    without = f"every frame is letterboxed into {Path(cfg.model).name}'s input"
    return variant_path(cfg.model, cfg.wide_model, WIDE_SUFFIX, "wide detector", without)


def lane_variants(cfg: DetectorConfig, wide: Path | None) -> list[tuple[int, int, Path]]:
    """(h, w, path) of the lane variants `auto` finds beside the model (inputs as wide as the wide model's,
    shorter than it), shortest first; none with an explicit or no wide model."""
    if cfg.wide_model != "auto" or wide is None:
        return []
    model = Path(cfg.model)
    wide_w, wide_h = (int(v) for v in WIDE_SUFFIX.lstrip("-").split("x"))
    pattern = re.compile(re.escape(model.stem) + r"-(\d+)x(\d+)" + re.escape(model.suffix))
    found = []
    for path in model.parent.glob(f"{model.stem}-*x*{model.suffix}"):
        m = pattern.fullmatch(path.name)
        if m and int(m.group(1)) == wide_w and int(m.group(2)) < wide_h and path.is_file():
            found.append((int(m.group(2)), int(m.group(1)), path))
    return sorted(found)


def mismatch(meta: dict[str, str], model_digest: str, wide: tuple[int, int]) -> str | None:
    """Why a wide model (its metadata `meta`, input `wide` h×w) cannot stand in for the detector model
    (sha256 `model_digest`), or None when it can: made from that file, as wide as its input, no taller."""
    source = source_input(meta, model_digest)
    if isinstance(source, str):
        return source
    sq_w, sq_h = source
    if wide[1] != sq_w or wide[0] > sq_h:
        return f"its input {wide[1]}x{wide[0]} is not as wide as, and no taller than, the model's {sq_w}x{sq_h}"
    return None


def source_input(meta: dict[str, str], model_digest: str) -> tuple[int, int] | str:
    """The input (w, h) of the model a resized graph (metadata `meta`) was made from, when that model is the
    detector model (sha256 `model_digest`); else why it cannot serve it."""
    source = meta.get(SOURCE_KEY)
    if source != model_digest:
        made = f"made from a model with sha256 {source}" if source else "not stamped with the model it was made from"
        return f"it is {made}, not from the detector model (sha256 {model_digest})"
    try:
        sq_w, sq_h = (int(v) for v in meta.get(SOURCE_INPUT_KEY, "").split("x"))
    except ValueError:
        return f"its {SOURCE_INPUT_KEY} metadata is not WIDTHxHEIGHT"
    return sq_w, sq_h
