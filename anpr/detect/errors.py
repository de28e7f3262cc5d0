"""Errors of the detector stage (a light module: importing it loads no onnxruntime or OpenCV)."""

from __future__ import annotations


class ModelError(Exception):
    """The model file is missing, corrupt or not the one recorded; the message says which and what to do."""
