#!/usr/bin/env python3
"""Thin wrapper, kept for old notes: the detector bench is `anpr bench detector [MODEL.onnx ...] [--threads 2]
[--runs 30] [--json]` (anpr/bench/detector.py)."""

import sys

from anpr.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", "detector", *sys.argv[1:]]))
