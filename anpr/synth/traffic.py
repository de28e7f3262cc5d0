"""Traffic scenarios (issue 16): plates that follow each other at about the same place in the frame.

Each clip checks that the tracker gives one passage per vehicle: a patrol scanning parked cars, a gantry
queue, two lanes, a plate hidden by a bus and found again, a long red light, a car cutting in. They are
short and at most 720p so the tests that replay them stay fast; `anpr synth videos` writes them to
`sample_videos/traffic/`. Plate texts are invented (valid per anpr.plates.chile, checked in the tests).
"""

from __future__ import annotations

from anpr.synth.backdrop import Street
from anpr.synth.cliptypes import Clip, Track, Waypoint

_GREY, _RED, _BLUE = (150, 150, 150), (40, 40, 170), (150, 80, 30)
_WHITE, _GREEN, _BLACK = (215, 215, 215), (60, 120, 60), (35, 35, 35)


def _parked(
    texts: tuple[str, ...], first_z: float, gaps: tuple[float, ...], colours: tuple[tuple[int, int, int], ...]
) -> tuple[Track, ...]:
    """Cars parked at the right kerb, rear toward the camera, `gaps` metres between them."""
    tracks, z = [], first_z
    for k, text in enumerate(texts):
        tracks.append(Track(text, 4.4, z, 0.0, colours[k % len(colours)], facing="rear"))
        z += 4.3 + gaps[k % len(gaps)]
    return tuple(tracks)


# The patrol car at 6 m/s in the right lane scanning cars parked along the kerb, 2.6-3.4 m apart: each rear
# plate shows past the car behind it at about the same place, grows and leaves the frame at the right,
# and 0.2-0.6 s later the next one shows.
PARKED_ROW = Clip(
    name="parked_row",
    width=1280,
    height=720,
    fps=25,
    frames=150,
    focal=1000,
    cam_height=1.4,
    pitch=3.0,
    cam_x=1.7,
    cam_speed=6.0,
    cabins=True,
    street=Street(left=-3.4, right=3.4, seed=11),
    tracks=_parked(
        ("BCDF12", "GHJK34", "KLPR56", "PRST78", "STVW91"),
        8.0,
        (3.6, 4.2, 3.2, 3.9),
        (_GREY, _RED, _GREEN, _WHITE, _BLUE),
    ),
    notes="patrol at 6 m/s (22 km/h) past a row of cars parked at the right kerb, their rear plates in turn",
)


def _stop_and_go(z0: float, go_s: float, stop_s: float, speed: float, until: float) -> tuple[Waypoint, ...]:
    """Waypoints (t, 0, z) toward the camera: `go_s` at `speed`, `stop_s` still, again and again."""
    points: list[Waypoint] = [(0.0, 0.0, z0)]
    t, z = 0.0, z0
    while t < until:
        t, z = t + go_s, z - speed * go_s
        points.append((t, 0.0, z))
        t += stop_s
        points.append((t, 0.0, z))
    return tuple(points)


def _queue(texts: tuple[str, ...], lead: tuple[Waypoint, ...], spacing: float) -> tuple[Track, ...]:
    """A queue behind `lead`'s path, every car `spacing` metres (front to front) behind the one ahead."""
    colours = (_WHITE, _RED, _GREY, _BLUE, _GREEN, _BLACK)
    return tuple(
        Track(text, 0.0, 0.0, 0.0, colours[k % len(colours)], path=tuple((t, x, z + k * spacing) for t, x, z in lead))
        for k, text in enumerate(texts)
    )


# Rush hour under a gantry: a queue creeps toward the camera, 0.9 s at 4 m/s then 0.5 s still, the cars
# a metre apart. A car's plate shows once the car ahead has gone under the gantry, where that one's was.
GANTRY_QUEUE = Clip(
    name="gantry_queue",
    width=1280,
    height=720,
    fps=25,
    frames=175,
    focal=1200,
    cam_height=5.5,
    pitch=31.0,
    cam_x=0.0,
    cam_speed=0.0,
    cabins=True,
    street=Street(seed=12),
    tracks=_queue(("LPRS24", "RSTV35", "RSTV36", "ZBCD57"), _stop_and_go(7.0, 0.9, 0.5, 4.0, 7.0), 5.3),
    notes="gantry 5.5 m up over the middle lane: a stop-and-go queue, cars a metre apart (RSTV35 and RSTV36: "
    "a fleet's consecutive plates, one behind the other)",
)

# Two lanes toward a gantry camera between them: two pairs of cars side by side, plates in view at once.
TWO_LANES = Clip(
    name="two_lanes",
    width=1280,
    height=720,
    fps=25,
    frames=85,
    focal=2000,
    cam_height=5.0,
    pitch=14.0,
    cam_x=0.0,
    cam_speed=0.0,
    cabins=True,
    street=Street(left=-3.4, right=3.4, seed=13),
    tracks=(
        Track("CDFG68", -1.7, 24.0, -9.0, _RED),
        Track("FGHK79", 1.7, 23.0, -8.5, _WHITE),
        Track("TVWX82", -1.7, 24.0, -8.0, _BLUE, start=40),
        Track("BFHK93", 1.7, 24.5, -8.5, _GREY, start=40),
    ),
    notes="gantry 5 m up between two lanes: two pairs of cars side by side, both plates in view at once",
)

# A fixed camera at a junction: a car coming on slowly is hidden by a bus crossing the road in front of it
# for about 1.5 s, then seen again: one passage.
BUS_OCCLUSION = Clip(
    name="bus_occlusion",
    width=1280,
    height=720,
    fps=25,
    frames=125,
    focal=1800,
    cam_height=1.6,
    pitch=4.0,
    cam_x=0.0,
    cam_speed=0.0,
    cabins=True,
    street=Street(left=-3.4, right=3.4, seed=14),
    tracks=(
        Track("DGJL14", 1.7, 19.0, -2.0, _GREEN),
        Track(
            "BUS", 0.0, 0.0, 0.0, (30, 140, 210), style="bus", across=True, path=((0.8, -16.0, 7.0), (4.5, 16.0, 7.0))
        ),
    ),
    notes="junction camera: a car coming on slowly, hidden for ~1.5 s by a bus crossing in front of it",
)

# The patrol car stops behind a car at a red light for a minute: one passage, one event. Rendered at 4 fps
# with each picture held for 2 frames, so 62 s of capture time cost 124 renders.
RED_LIGHT = Clip(
    name="red_light",
    width=1280,
    height=720,
    fps=4,
    frames=248,
    hold=2,
    gop=248,
    focal=1300,
    cam_height=1.3,
    pitch=2.0,
    cam_x=1.7,
    cam_speed=0.0,
    cabins=True,
    street=Street(left=-3.4, right=3.4, seed=15),
    tracks=(Track("HJKL13", 1.7, 0.0, 0.0, _BLUE, facing="rear", path=((0.0, 1.7, 13.0), (2.0, 1.7, 7.0))),),
    notes="patrol stopped behind a car waiting 60 s at a red light (4 fps, each picture held 2 frames, one "
    "noise pattern, one key frame)",
)

# The patrol follows a car at 8 m/s; a car overtakes on the left and cuts in between, hiding the one ahead.
CUT_IN = Clip(
    name="cut_in",
    width=1280,
    height=720,
    fps=25,
    frames=110,
    focal=1300,
    cam_height=1.3,
    pitch=2.0,
    cam_x=1.7,
    cam_speed=8.0,
    cabins=True,
    street=Street(left=-3.4, right=3.4, seed=16),
    tracks=(
        Track("WXYZ46", 1.7, 0.0, 0.0, _WHITE, facing="rear", path=((0.0, 1.7, 10.0), (4.4, 1.7, 45.2))),
        Track(
            "KLPR57",
            -1.7,
            0.0,
            0.0,
            _RED,
            facing="rear",
            path=((0.0, -1.7, 2.0), (1.0, -1.7, 12.0), (2.2, 1.7, 22.1), (4.4, 1.7, 39.7)),
        ),
    ),
    notes="patrol at 8 m/s behind a car; another overtakes on the left and cuts in between them",
)

TRAFFIC = (PARKED_ROW, GANTRY_QUEUE, TWO_LANES, BUS_OCCLUSION, RED_LIGHT, CUT_IN)
