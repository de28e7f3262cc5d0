"""Where the shared real plate photos are (../shared/plates/{train,eval}), for the tests that use them.

The same places tests/ocr/test_format_prior.py looks: $ANPR_PLATES_TRAIN / $ANPR_PLATES_EVAL, the
checkout's sibling shared/ folder, then /work/shared. None when absent: those tests skip, saying so.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shared_plates(kind: str) -> Path | None:
    """The `train` or `eval` folder of the shared plate photos, or None."""
    env = os.environ.get(f"ANPR_PLATES_{kind.upper()}")
    for cand in (env, ROOT.parent / "shared/plates" / kind, Path("/work/shared/plates") / kind):
        if cand and any(Path(cand).glob("*/labels.csv")):
            return Path(cand)
    return None
