"""Car plates read as motorcycle plates: the failure the format prior exists for (issue 23).

A reader that drops one character of a six-character one-row plate often lands on a valid five-character
motorcycle string with every remaining character sure (DLPR50 read LPR50 at 0.96, CC★0415 read CC041 at
1.00). Every labelled row with a text counts here, `ok` or not: an "uncertain" night crop read as a
motorcycle is the same failure. The figure to watch is `sure`: such reads at a confidence that looks exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from anpr.evaluate.reliability import HIGH
from anpr.plates.chile import format_by_name, parse
from anpr.types import PlateRead

SURE = HIGH
"""A read this confident looks exact: the reliability table's own 'high' line (issue 23's 0.9)."""
SHOWN = 10


def _family(fmt: str) -> str | None:
    try:
        return format_by_name(fmt).family
    except ValueError:
        return None  # "unknown": no format


@dataclass
class MotoTally:
    """Reads in a motorcycle format of plates whose label is not a motorcycle plate."""

    rows: int = 0
    misread: list[tuple[str, str, str, float]] = field(default_factory=list)

    def add(self, file: str, truth: str, read: PlateRead | None) -> None:
        label = parse(truth)
        if not label.valid or _family(label.format) == "moto":
            return
        self.rows += 1
        if read is not None and _family(read.format) == "moto":
            self.misread.append((file, truth, read.text, round(read.confidence, 4)))

    def as_dict(self) -> dict[str, Any]:
        """{"rows", "n", "sure" (at confidence >= SURE), "max_confidence", "at", "examples" (most confident first)}"""
        worst = sorted(self.misread, key=lambda m: -m[3])
        return {
            "rows": self.rows,
            "n": len(worst),
            "sure": sum(m[3] >= SURE for m in worst),
            "at": SURE,
            "max_confidence": worst[0][3] if worst else None,
            "examples": [list(m) for m in worst[:SHOWN]],
        }


def format_line(d: dict[str, Any]) -> str:
    """`car plates read as motorcycles: 3 of 200 (0 at >= 0.9; most confident CHWD88 -> HND88 0.588)`"""
    line = f"car plates read as motorcycles: {d['n']} of {d['rows']} ({d['sure']} at >= {d['at']}"
    if d["examples"]:
        _file, truth, text, conf = d["examples"][0]
        line += f"; most confident {truth} -> {text} {conf}"
    return line + ")"
