"""Errors of the plate reader."""

from __future__ import annotations


class ModelError(RuntimeError):
    """The reader's model file is missing, corrupt or not the expected one; start-up must stop."""
