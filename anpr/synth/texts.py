"""Random plate texts for the renderer, drawn from the Chilean grammar (anpr.plates.chile)."""

from __future__ import annotations

import random

from anpr.plates.chile import random_plate
from anpr.synth.plate import Layout

# Share of each format on the street (a guess: post-2007 plates dominate the fleet by now).
CAR_FORMATS = (("car", 0.75), ("car_old", 0.25))
MOTO_FORMATS = (("moto", 0.7), ("moto_old", 0.3))


def random_text(rng: random.Random, layout: Layout) -> tuple[str, str]:
    """A valid plate text and its format name for a car or motorcycle layout."""
    table = CAR_FORMATS if layout == "car" else MOTO_FORMATS
    fmt = rng.choices([f for f, _ in table], weights=[w for _, w in table])[0]
    return random_plate(rng, fmt), fmt
