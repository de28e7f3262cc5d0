"""Plate reading: the `Reader` protocol and its PP-OCR (default) and CRNN backends, loaded when built."""

from anpr.ocr.base import Reader
from anpr.ocr.factory import build_reader

__all__ = ["Reader", "build_reader"]
