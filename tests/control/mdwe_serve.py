"""`anpr control serve` under the seccomp rules systemd installs for MemoryDenyWriteExecute=yes.

Installs the filter of tests/deploy/mdwe_probe.py (the same rules as systemd 252), then runs the real
command in this process: uvicorn, Starlette, argon2-cffi, paho, the JSON Schema compiler and the database
driver all load and run after the filter. Usage: python mdwe_serve.py CONFIG
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))

from mdwe_probe import install_mdwe

if __name__ == "__main__":
    install_mdwe()
    from anpr.cli.main import main

    sys.exit(main(["control", "serve", "-c", sys.argv[1]]))
