"""Shared fixtures of the reader tests: the shipped model, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from anpr.ocr.config import ReaderConfig
from anpr.ocr.ppocr import PpocrReader

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "plate-reader-int8.onnx"  # the default reader model


@pytest.fixture(scope="session")
def reader() -> PpocrReader:
    if not MODEL.is_file():
        pytest.fail(f"{MODEL} missing: run `anpr train extract-ppocr`")
    return PpocrReader(ReaderConfig(model=str(MODEL), threads=2))
