#!/usr/bin/env python3
"""Thin wrapper, kept for old notes: the uplink bench is `anpr bench outbox [--enqueue 3000] [--publish 5000]
[--hits 200] [--json]` (anpr/bench/outbox.py)."""

import sys

from anpr.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["bench", "outbox", *sys.argv[1:]]))
