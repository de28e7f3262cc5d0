"""The script of a rendered clip: the camera, the street and each vehicle's plate, look and motion.

Its own module so that the clip scripts (clips.py, traffic.py) and the renderer (videos.py) both import
it and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from anpr.synth.backdrop import Street

Waypoint = tuple[float, float, float]
"""(seconds into the clip, x, z) in world metres: where the vehicle's near face is at that time."""


@dataclass(frozen=True, slots=True)
class Track:
    """One vehicle: its plate, lane, where it starts, world speed (+ away from the camera) and look.

    A vehicle with a `path` ignores x, z0, speed and start: it appears at the first waypoint's time, moves
    straight between waypoints (stop-and-go, a lane change) and stays at the last one.
    """

    text: str
    x: float
    z0: float
    speed: float
    colour: tuple[int, int, int]
    facing: str = "front"
    style: str = "private"  # a plate style (anpr.synth.plate), or "bus": a tall vehicle with no plate shown
    start: int = 0
    expect: str = "none"  # "hit": on the hotlist; "near_miss": one confusable char off an entry
    path: tuple[Waypoint, ...] = ()
    across: bool = False  # a bus crossing the road (its length along X)

    @property
    def bus(self) -> bool:
        return self.style == "bus"

    def starts_at(self, fps: float) -> float:
        return self.path[0][0] if self.path else self.start / fps

    def where(self, t: float, fps: float) -> tuple[float, float] | None:
        """(x, z) at `t` seconds, or None before the vehicle enters."""
        if not self.path:
            return None if t < self.start / fps else (self.x, self.z0 + self.speed * (t - self.start / fps))
        if t < self.path[0][0]:
            return None
        for (t0, x0, z0), (t1, x1, z1) in zip(self.path, self.path[1:], strict=False):
            if t <= t1:
                k = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
                return (x0 + k * (x1 - x0), z0 + k * (z1 - z0))
        return (self.path[-1][1], self.path[-1][2])


@dataclass(frozen=True, slots=True)
class Clip:
    name: str
    width: int
    height: int
    fps: int
    frames: int
    focal: float
    cam_height: float
    pitch: float
    cam_x: float
    cam_speed: float
    street: Street
    tracks: tuple[Track, ...]
    night: bool = False
    bounce: float = 0.0
    notes: str = ""
    cabins: bool = False
    """Truth: a nearer vehicle hides a plate by its body and cabin (a plate just behind a boot shows), not
    by one 1.5 m box around it (the three sample clips' truth was made with the box)."""
    hold: int = 1
    """Each rendered frame is written this many times: a long, still scene (a red light) costs little to
    render and encode, and the replay still sees every frame's capture time."""
    gop: int = 0
    """Frames between key frames (0: two seconds' worth)."""
