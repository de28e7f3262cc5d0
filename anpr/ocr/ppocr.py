"""`PpocrReader`: PaddleOCR PP-OCRv4 text recognition through onnxruntime, decoded against the plate grammar."""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from anpr.core.onnx_model import ModelError, ModelSource, SessionSettings, load_model
from anpr.ocr import calibration, ctc, preprocess
from anpr.ocr.config import ReaderConfig
from anpr.plates import chile, layout
from anpr.types import Candidate, Detection, Image, PlateRead

log = logging.getLogger(__name__)

REBUILD = (
    "restore it from the release (git checkout models/), or rebuild it with `anpr train extract-ppocr` (the fp32 "
    "plate-reader.onnx, from the pinned rapidocr-onnxruntime wheel) then `anpr train quantize-reader` (the int8 "
    "plate-reader-int8.onnx, from the fp32 one)"
)


def session_settings(cfg: ReaderConfig) -> SessionSettings:
    """The reader's onnxruntime settings (both backends)."""
    return SessionSettings(cfg.threads, cfg.providers, "reader.providers")


def model_characters(session: ort.InferenceSession, path: Path) -> list[str]:
    """Class labels, index 0 the CTC blank: from the model's metadata, else the `.dict.txt` beside it."""
    meta = session.get_modelmeta().custom_metadata_map
    if "character" in meta:
        labels = meta["character"].splitlines()
    else:
        sidecar = path.with_suffix(".dict.txt")
        if not sidecar.is_file():
            raise ModelError(f"reader model {path} has no character dictionary (metadata or {sidecar})")
        labels = sidecar.read_text(encoding="utf-8").splitlines()
    n_classes = session.get_outputs()[0].shape[-1]
    characters = ["<blank>", *labels, " "]
    if isinstance(n_classes, int) and n_classes != len(characters):
        raise ModelError(f"reader model {path} has {n_classes} classes but its dictionary gives {len(characters)}")
    return characters


def model_inputs(plate: Image, cfg: ReaderConfig, cut: float | None = None) -> list[npt.NDArray[np.float32]]:
    """The model inputs (one per text row) for a plate crop, pre-processed as `cfg` says."""
    return preprocess.prepare(
        plate,
        height=cfg.height,
        max_width=cfg.max_width,
        use_clahe=cfg.clahe,
        deskew=cfg.deskew,
        band=cfg.char_band,
        cut=cut,
    )


FormatSet = tuple[list[ctc.SlotFormat], dict[str, chile.PlateFormat]]
FormatKey = tuple[layout.Layout, bool]
"""(crop layout, whether a full line of glyphs was seen)."""


def slot_formats(decreed: bool, special: bool, shape: layout.Layout = "any", line: int = 0) -> FormatSet:
    """The decoder's formats (and the grammar's, by name) that a crop of layout `shape`, with at most `line`
    glyphs in one line, may hold."""
    fmts = layout.formats_for(shape, chile.formats(decreed=decreed, special=special), line)
    return [ctc.SlotFormat(f.name, f.slots, math.log(f.prior)) for f in fmts], {f.name: f for f in fmts}


def format_sets(decreed: bool, special: bool) -> dict[FormatKey, FormatSet]:
    full = layout.FULL_LINE
    return {
        (shape, f): slot_formats(decreed, special, shape, full if f else 0)
        for shape in ("any", "one_row", "two_row")
        for f in (False, True)
    }


def load_calibration(cfg: ReaderConfig, model: Path, digest: str) -> calibration.Calibration:
    """The configured calibration table for `model`, or a ModelError that names the file and the key."""
    try:
        return calibration.resolve(cfg.calibration, model, digest)
    except calibration.CalibrationError as err:
        raise ModelError(f"{err} (reader.calibration; rebuild it with `anpr train calibrate`)") from None


class PpocrReader:
    """Reads a plate crop with PP-OCR rec; the Chilean formats constrain the CTC decoding.

    Thread-safe: onnxruntime sessions may be run from several threads; the counters take a lock.
    """

    def __init__(self, cfg: ReaderConfig, model_path: Path | None = None) -> None:
        self.cfg = cfg
        path = Path(model_path or cfg.model)
        src = ModelSource(path, cfg.sha256, REBUILD, "reader.model", "reader.sha256")
        self.session, digest = load_model(src, session_settings(cfg))
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        if len(inp.shape) != 4 or inp.shape[1] != 3:
            raise ModelError(f"reader model {path} takes input {inp.shape}, expected N×3×H×W")
        self.charmap = ctc.CharMap.from_characters(model_characters(self.session, path))
        self.format_sets = format_sets(cfg.decreed_formats, cfg.special_formats)
        self.calibration = load_calibration(cfg, path, digest)
        self.version = f"{path.stem}@{digest[:12]}"
        self._stats: Counter[str] = Counter()
        self._lock = threading.Lock()

    def stats(self) -> dict[str, int]:
        """Counts of reads and of each reason a crop gave no plate."""
        with self._lock:
            return dict(self._stats)

    def _count(self, key: str) -> None:
        with self._lock:
            self._stats[key] += 1

    def row_probabilities(self, plate: Image, cut: float | None = None) -> list[npt.NDArray[np.float32]]:
        """T×C softmax per text row of a plate crop, top row first."""
        parts = model_inputs(plate, self.cfg, cut)
        return [self.session.run(None, {self.input_name: x[None]})[0][0] for x in parts]

    def probabilities(self, plate: Image, cut: float | None = None) -> npt.NDArray[np.float32]:
        """T×C softmax for a plate crop; rows of a two-row plate are read top first and joined."""
        return ctc.join_rows(self.row_probabilities(plate, cut), self.charmap.blank)

    def read(self, image: Image, detection: Detection) -> PlateRead | None:
        plate = preprocess.crop(image, detection, (self.cfg.margin_x, self.cfg.margin_y))
        if plate is None:
            self._count("empty_crop")
            return None
        return self.read_crop(plate)

    def _decode(self, probs: npt.NDArray[np.float32], key: FormatKey) -> list[ctc.Decoded]:
        """Valid plate strings for `probs` that a crop of that layout and line may hold, best first."""
        formats, by_name = self.format_sets[key]
        found = ctc.constrained_decode(
            probs,
            self.charmap,
            formats,
            k=self.cfg.top_k + 8,
            edge_floor=self.cfg.edge_floor,
            char_floor=self.cfg.char_floor,
        )
        return [d for d in found if by_name[d.format].matches(d.text)]

    def read_crop(self, plate: Image) -> PlateRead | None:
        """Reads an already cropped plate image (the whole image is the plate)."""
        if plate.ndim < 2 or min(plate.shape[:2]) < preprocess.MIN_SIDE:
            self._count("empty_crop")
            return None
        rows = self.row_probabilities(plate)
        probs = ctc.join_rows(rows, self.charmap.blank)
        # The format prior: a wide one-row crop cannot hold a motorcycle plate, two rows no car plate, and a
        # full line of glyphs no five-character plate.
        line = preprocess.longest_text_row(plate, self.cfg.deskew)
        shape = layout.layout_of(plate.shape[1], plate.shape[0], len(rows), line)
        valid = self._decode(probs, (shape, line >= layout.FULL_LINE))
        if self.cfg.two_row_cuts and shape != "one_row" and preprocess.two_row_shaped(plate):
            # A near-square crop may be a motorcycle plate whose rows the blobs did not separate (small,
            # blurred): read it split where the layout puts the rows too, and keep the likelier plate.
            for cut in self.cfg.two_row_cuts:
                alt_probs = self.probabilities(plate, cut)
                alt = self._decode(alt_probs, ("two_row", False))
                sure = bool(alt) and min(alt[0].char_confidences) >= self.cfg.two_row_min_confidence
                if sure and (not valid or alt[0].score > valid[0].score):
                    probs, valid = alt_probs, alt
        raw = ctc.greedy_text(probs, self.charmap)
        if not valid:
            self._count("no_format")
            log.debug("no plate format fits %r", raw)
            return None
        best = valid[0]
        raw_score = min(best.char_confidences)
        if raw_score < self.cfg.min_confidence:
            self._count("low_confidence")
            return None
        self._count("read")
        alternatives = tuple(
            Candidate(d.text, float(np.exp(d.score / len(d.text))), d.format) for d in valid[1 : self.cfg.top_k + 1]
        )
        # P(exact) when a table is fitted for this model. The characters go through the same monotone map, so
        # the least of them stays the plate's confidence and the tracker's vote works on the same scale.
        chars = tuple(self.calibration(c) for c in best.char_confidences)
        return PlateRead(best.text, self.calibration(raw_score), chars, raw, best.format, alternatives)
