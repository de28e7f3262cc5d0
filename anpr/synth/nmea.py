"""The patrol clip's GPS log: NMEA 0183 GGA + RMC + VTG at 1 Hz along Av. Francisco de Aguirre, La Serena.

Starts at 2026-01-01T12:00:00Z (the replay's default start time) and drives west toward Avenida del Mar
at the patrol camera's speed. Sentences are built by pynmea2, which computes the checksums.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pynmea2

START = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
# Av. Francisco de Aguirre near Av. Pedro Pablo Muñoz, heading west (toward the Faro and the sea).
START_LAT, START_LON = -29.90520, -71.25600
HEADING_DEG = 268.0
KNOTS_PER_MPS = 1.943844
PAD_S = 2  # fixes after the clip, so the last frames have one on either side


def _dm(value: float, deg_digits: int) -> str:
    v = abs(value)
    deg = int(v)
    return f"{deg:0{deg_digits}d}{(v - deg) * 60:08.5f}"


def sentences(seconds: float, speed: float) -> list[str]:
    """GGA, RMC, VTG for each second from START to the end of the clip + PAD_S."""
    out: list[str] = []
    lat, lon = START_LAT, START_LON
    hdg = math.radians(HEADING_DEG)
    m_per_deg_lat = 111_320.0
    for k in range(math.ceil(seconds) + PAD_S + 1):
        t = START + timedelta(seconds=k)
        la = lat + k * speed * math.cos(hdg) / m_per_deg_lat
        lo = lon + k * speed * math.sin(hdg) / (m_per_deg_lat * math.cos(math.radians(lat)))
        hms = t.strftime("%H%M%S") + ".00"
        la_s, lo_s = _dm(la, 2), _dm(lo, 3)
        knots = f"{speed * KNOTS_PER_MPS:.2f}"
        course = f"{HEADING_DEG:.1f}"
        out.append(
            str(
                pynmea2.GGA(
                    "GP", "GGA", (hms, la_s, "S", lo_s, "W", "1", "09", "0.9", "28.0", "M", "24.6", "M", "", "")
                )
            )
        )
        out.append(
            str(
                pynmea2.RMC(
                    "GP", "RMC", (hms, "A", la_s, "S", lo_s, "W", knots, course, t.strftime("%d%m%y"), "1.5", "E", "A")
                )
            )
        )
        out.append(str(pynmea2.VTG("GP", "VTG", (course, "T", "", "M", knots, "N", f"{speed * 3.6:.1f}", "K", "A"))))
    return out


def write_patrol_log(path: Path, *, seconds: float, speed: float) -> Path:
    path.write_text("\r\n".join(sentences(seconds, speed)) + "\r\n", encoding="ascii", newline="")
    return path
