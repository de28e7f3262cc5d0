"""Builds the configured `Reader`."""

from __future__ import annotations

from anpr.ocr.base import Reader
from anpr.ocr.config import ReaderConfig

BACKENDS = ("ppocr", "crnn")


def build_reader(cfg: ReaderConfig) -> Reader:
    """The reader `cfg.backend` names, loaded and checked; raises `ModelError` on a bad model file."""
    if cfg.backend == "ppocr":
        from anpr.ocr.ppocr import PpocrReader

        return PpocrReader(cfg)
    if cfg.backend == "crnn":
        from anpr.ocr.crnn import CrnnReader

        return CrnnReader(cfg)
    raise ValueError(f"unknown reader backend {cfg.backend!r}; valid names: {', '.join(BACKENDS)}")
