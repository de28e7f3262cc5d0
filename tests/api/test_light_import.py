"""`import anpr` and `anpr --help` load no inference library: the CLI starts fast on a Pi, and the API loads on use."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("onnxruntime", "cv2")

_PROBE = f"""
import sys
import anpr
from anpr.cli.main import main
try:
    main(["--help"])
except SystemExit:
    pass
print("HEAVY", [m for m in {HEAVY!r} if m in sys.modules])
"""


def test_import_and_help_load_no_inference_library() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert "HEAVY []" in out.stdout, out.stdout[-500:]


def test_the_api_loads_them_when_used() -> None:
    # The probe above would pass vacuously if these never loaded in a fresh interpreter; here they do.
    probe = f"import sys, anpr; anpr.PlateReader(); print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert all(m in out.stdout for m in HEAVY), out.stdout
