"""The scripts of the three sample clips and the demo hotlist that goes with them.

Plate texts are invented (valid per anpr.plates.chile, checked in the tests), never taken from photos.
"""

from __future__ import annotations

import csv
from pathlib import Path

from anpr.synth.backdrop import Street
from anpr.synth.cliptypes import Clip, Track

# A fixed camera on a low pole over the kerb lane (1.5 m up, long lens): plates grow from ~50 to ~290 px.
GANTRY_DAY = Clip(
    name="gantry_day",
    width=1920,
    height=1080,
    fps=25,
    frames=200,
    focal=3000,
    cam_height=1.5,
    pitch=7.0,
    cam_x=0.0,
    cam_speed=0.0,
    street=Street(seed=1),
    tracks=(
        Track("HZTV41", 0.0, 22.0, -5.0, (40, 40, 150), expect="hit"),
        Track("KC4521", -3.4, 30.0, -7.0, (180, 180, 180), start=15),
        Track("PRKK21", 0.0, 24.0, -4.5, (120, 90, 40), start=85, expect="near_miss"),
        Track("DRWL87", 3.4, 32.0, -6.0, (40, 200, 230), style="colectivo", start=100),
    ),
    notes="fixed camera 1.5 m over the middle lane, three lanes toward it, day",
)

# A patrol car in the right lane at 5 m/s; a car ahead (slower), oncoming traffic, parked cars.
PATROL = Clip(
    name="patrol",
    width=1280,
    height=720,
    fps=30,
    frames=270,
    focal=1500,
    cam_height=1.3,
    pitch=2.0,
    cam_x=1.7,
    cam_speed=5.0,
    street=Street(left=-3.4, right=3.4, seed=2),
    bounce=0.25,
    tracks=(
        Track("JXVR58", 1.7, 10.0, 4.3, (200, 200, 200), facing="rear", expect="hit"),
        Track("LSWB30", -1.7, 35.0, -6.0, (30, 30, 30), start=10),
        Track("FH3318", 4.6, 30.0, 0.0, (60, 120, 60), facing="rear"),
        Track("GDPL56", -1.7, 55.0, -6.0, (150, 60, 30), start=110),
        Track("CB7714", 4.6, 48.0, 0.0, (40, 200, 230), facing="rear", style="colectivo"),
    ),
    notes="camera on a patrol car moving at 5 m/s (18 km/h) in the right lane; patrol.nmea is its GPS log",
)

# Night, IR illuminator: grey frames, dark cars, headlights and plates bloom.
NIGHT_IR = Clip(
    name="night_ir",
    width=1280,
    height=720,
    fps=25,
    frames=200,
    focal=2000,
    cam_height=1.5,
    pitch=6.0,
    cam_x=0.0,
    cam_speed=0.0,
    street=Street(seed=3),
    night=True,
    tracks=(
        Track("SGPT72", 0.0, 26.0, -5.5, (90, 90, 90), expect="hit"),
        Track("BW5381", -3.4, 32.0, -7.0, (160, 160, 160), start=20),
        Track("RTFJ09", 0.0, 26.0, -5.0, (60, 60, 60), start=105),
    ),
    notes="fixed IR camera at night; retro-reflective plates bright, headlights bloom",
)

CLIPS = (GANTRY_DAY, PATROL, NIGHT_IR)

HOTLIST_COLUMNS = ("plate", "list_name", "reason", "priority", "source", "note", "covert")
# PRKX21 is the near-miss target: gantry_day shows PRKK21 (K/X confusable), which must not hit exactly.
HOTLIST = (
    ("HZTV41", "demo", "stolen", "1", "sample_videos", "in gantry_day", "false"),
    ("PRKX21", "demo", "stolen", "1", "sample_videos", "gantry_day shows PRKK21: fuzzy, never exact", "false"),
    ("JXVR58", "demo", "wanted", "2", "sample_videos", "car ahead in patrol", "false"),
    ("SGPT72", "demo", "stolen", "1", "sample_videos", "in night_ir", "true"),
    ("WXYZ99", "demo", "expired_insurance", "3", "sample_videos", "in no clip", "false"),
)


def write_hotlist(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HOTLIST_COLUMNS)
        writer.writerows(HOTLIST)
    return path
