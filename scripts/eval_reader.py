#!/usr/bin/env python3
"""Thin wrapper, kept for the model card: the reader evaluation with tesseract as the floor is
`anpr bench reader SET [SET ...] [--threads 2] [--json]` (anpr/bench/reader.py)."""

import sys

from anpr.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", "reader", *sys.argv[1:]]))
