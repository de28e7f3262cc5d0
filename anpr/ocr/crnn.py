"""`CrnnReader`: the small plate-trained CRNN (models/plate-recognizer.onnx), decoded against the grammar.

The model reads one grey text row: input N×1×H×W float32, (x/255 - 0.5)/0.5, right-padded with 0 (grey);
output N×T×37 softmax, class 0 the CTC blank, classes 1..36 `ALPHABET` (also in the model's metadata,
`character`). H and W come from the model's input shape. `anpr.ocr.strips.strips` is the one
pre-processing of both the training data (anpr/train/recognizer_data.py) and this reader, so training and
run time see the same rows. Decoding, reasons and counters are PpocrReader's (the same grammar-constrained CTC).
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt

from anpr.core.onnx_model import ModelError, ModelSource, load_model
from anpr.ocr import ctc, preprocess
from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import PpocrReader, format_sets, load_calibration, session_settings
from anpr.ocr.strips import PAD, pad_strip, strips, to_input
from anpr.types import Image

REBUILD = "rebuild it with `anpr train recognizer` (see models/plate-recognizer.md)"


class CrnnReader(PpocrReader):
    """Reads a plate crop with the plate-trained CRNN; same decoding, stats and contract as PpocrReader."""

    def __init__(self, cfg: ReaderConfig, model_path: Path | None = None) -> None:
        self.cfg = cfg
        path = Path(model_path or cfg.crnn_model)
        src = ModelSource(path, cfg.crnn_sha256, REBUILD, "reader.crnn_model", "reader.crnn_sha256")
        self.session, digest = load_model(src, session_settings(cfg))
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        shape = inp.shape
        if len(shape) != 4 or shape[1] != 1 or not isinstance(shape[2], int) or not isinstance(shape[3], int):
            raise ModelError(f"reader model {path} takes input {shape}, expected N×1×H×W with fixed H and W")
        self.height, self.width = int(shape[2]), int(shape[3])
        batch = shape[0]
        self.batched = not isinstance(batch, int) or batch != 1
        labels = self.session.get_modelmeta().custom_metadata_map.get("character")
        if labels is None:
            raise ModelError(f"reader model {path} has no `character` metadata (not a plate recognizer export?)")
        characters = ["<blank>", *labels.splitlines()]
        n_classes = self.session.get_outputs()[0].shape[-1]
        if isinstance(n_classes, int) and n_classes != len(characters):
            raise ModelError(f"reader model {path} has {n_classes} classes but its metadata gives {len(characters)}")
        try:
            self.charmap = ctc.CharMap.from_characters(characters)
        except ValueError as exc:
            raise ModelError(f"reader model {path}: {exc}") from exc
        self.format_sets = format_sets(cfg.decreed_formats, cfg.special_formats)
        self.calibration = load_calibration(cfg, path, digest)
        self.version = f"{path.stem}@{digest[:12]}"
        self._stats: Counter[str] = Counter()
        self._lock = threading.Lock()

    def row_probabilities(self, plate: Image, cut: float | None = None) -> list[npt.NDArray[np.float32]]:
        """T×37 softmax per text row of a plate crop, top row first."""
        cfg = self.cfg
        rows = strips(
            plate, self.height, self.width, use_clahe=cfg.clahe, deskew=cfg.deskew, band=cfg.char_band, cut=cut
        )
        if not rows:  # a band too thin to resize: read the whole crop as one row
            rows = [preprocess.resize_height(preprocess.to_gray(plate), self.height, self.width)]
        x = to_input(rows, self.width)
        if self.batched:
            return list(self.session.run(None, {self.input_name: x})[0])
        return [self.session.run(None, {self.input_name: x[i : i + 1]})[0][0] for i in range(len(x))]


__all__ = ["PAD", "CrnnReader", "pad_strip", "strips", "to_input"]
