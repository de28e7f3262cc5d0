"""Calibrated read confidence: the fitted map from the reader's raw score to P(read is exact).

The raw score is the least per-character probability of the decoded string; it ranks reads well but is not
a probability (night reads at 0.1 are exact two times in three, a dropped character can read at 0.96).
`anpr train calibrate` fits a monotone (isotonic) map on labelled training crops and writes it as a small
JSON table beside the reader model; here it is applied by linear interpolation between the knots.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FORMAT = "anpr-reader-calibration/1"
MAX_BYTES = 256 * 1024
MAX_KNOTS = 2048


class CalibrationError(ValueError):
    """The calibration file is missing, unreadable or malformed; the message names the file."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """Knots (x: raw score, y: probability exact), both non-decreasing; identity when there are none."""

    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    model: str = ""
    """The reader model the table was fitted for (file name), for the log and the card."""
    model_sha256: str = ""
    """Its sha256: a table fitted for another model is refused (its scores mean something else)."""

    def __call__(self, raw: float) -> float:
        if not self.x:
            return raw
        return float(np.interp(raw, self.x, self.y))

    @property
    def identity(self) -> bool:
        return not self.x

    def to_json(self, extra: dict[str, Any] | None = None) -> str:
        body = {
            "format": FORMAT,
            "model": self.model,
            "model_sha256": self.model_sha256,
            **(extra or {}),
            "x": list(self.x),
            "y": list(self.y),
        }
        return json.dumps(body, indent=1) + "\n"


def default_path(model: Path) -> Path:
    """`models/plate-reader-int8.onnx` → `models/plate-reader-int8.calibration.json`."""
    return model.with_suffix(".calibration.json")


def _knots(value: object, key: str, where: Path) -> tuple[float, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_KNOTS:
        raise CalibrationError(f"{where}: `{key}` must be a list of 1-{MAX_KNOTS} numbers")
    out: list[float] = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not 0.0 <= v <= 1.0:
            raise CalibrationError(f"{where}: `{key}` holds {v!r}; every value must be a number in [0, 1]")
        out.append(float(v))
    if any(b < a for a, b in itertools.pairwise(out)):
        raise CalibrationError(f"{where}: `{key}` must not decrease")
    return tuple(out)


def load(path: Path) -> Calibration:
    """The table in `path`, checked (size, format tag, knots in [0, 1], non-decreasing, equal lengths)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise CalibrationError(f"{path}: cannot read the reader calibration ({err.strerror or err})") from None
    if len(data) > MAX_BYTES:
        raise CalibrationError(f"{path}: larger than {MAX_BYTES // 1024} KiB, not a calibration table")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as err:
        raise CalibrationError(f"{path}: not JSON ({err})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise CalibrationError(f'{path}: not a reader calibration (expected "format": "{FORMAT}")')
    x, y = _knots(body.get("x"), "x", path), _knots(body.get("y"), "y", path)
    if len(x) != len(y):
        raise CalibrationError(f"{path}: `x` has {len(x)} values but `y` has {len(y)}")
    sha = body.get("model_sha256", "")
    if not isinstance(sha, str):
        raise CalibrationError(f"{path}: `model_sha256` must be a string")
    return Calibration(x, y, str(body.get("model", "")), sha)


def resolve(setting: str | None, model: Path, model_sha256: str) -> Calibration:
    """The calibration a reader config names: null → none (raw scores); "" → the table beside the model,
    or none with a warning when there is no such file; a path → that file, which must exist. A table
    fitted for another model (sha256) is an error."""
    if setting is None:
        return Calibration()
    if setting == "":
        path = default_path(model)
        if not path.is_file():
            log.warning(
                "no calibration table %s for reader model %s: confidences are raw scores, not probabilities "
                "(build one with `anpr train calibrate`)",
                path,
                model,
            )
            return Calibration()
    else:
        path = Path(setting)
    calib = load(path)
    if calib.model_sha256 and calib.model_sha256 != model_sha256:
        raise CalibrationError(
            f"{path}: fitted for {calib.model or 'another model'} (sha256 {calib.model_sha256[:12]}), not for "
            f"{model} (sha256 {model_sha256[:12]})"
        )
    return calib
