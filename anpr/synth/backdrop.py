"""The road around the vehicles: asphalt, lane markings, kerbs, pavements, buildings, poles, hills.

Everything is drawn as world polygons through the camera, so a moving camera (the patrol car) sees the
markings and facades slide past with the right parallax.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np

from anpr.synth.scene import BGR, Camera, fill_world_poly, sky_and_ground
from anpr.types import Image


@dataclass(frozen=True, slots=True)
class Street:
    """A straight street: lanes between `left` and `right` (metres), pavements and facades beyond."""

    left: float = -5.1
    right: float = 5.1
    lane_width: float = 3.4
    pavement: float = 3.0
    facade_gap: float = 1.0
    seed: int = 0
    sky: tuple[BGR, BGR] = ((235, 190, 140), (235, 225, 215))
    asphalt: BGR = (92, 94, 96)
    pavement_colour: BGR = (160, 165, 170)
    marking: BGR = (225, 230, 230)


def _hills(img: Image, cam: Camera, rng: random.Random) -> None:
    """Distant hills and city on the horizon (the Coquimbo hills behind La Serena, roughly)."""
    hv = cam.horizon_v()
    w = cam.width
    xs = np.linspace(0, w, 24)
    ys = hv - np.array([rng.uniform(5, 45) for _ in xs]) * (cam.height_px / 720)
    pts = np.concatenate([np.stack([xs, ys], 1), [[w, hv + 2], [0, hv + 2]]]).astype(np.int32)
    cv2.fillPoly(img, [pts], (150, 160, 150), cv2.LINE_AA)


def draw_street(cam: Camera, street: Street, z_from: float, z_to: float) -> Image:
    """Render the street for the camera's current position; z range in world metres."""
    rng = random.Random(street.seed)
    img = sky_and_ground(cam, street.sky, (110, 135, 120))
    _hills(img, cam, rng)
    zs, ze = max(z_from, cam.z + 0.5), z_to
    far = ze
    facade_l = street.left - street.pavement - street.facade_gap
    facade_r = street.right + street.pavement + street.facade_gap
    # Buildings: a row of facades of random height and colour at fixed world positions.
    for side, x in (("l", facade_l), ("r", facade_r)):
        brng = random.Random(f"{street.seed}:{side}")
        z = -20.0
        while z < far:
            length, height = brng.uniform(6, 14), brng.uniform(3.5, 11)
            colour = (brng.randint(120, 210), brng.randint(130, 210), brng.randint(140, 220))
            if z + length > zs:
                fill_world_poly(
                    img, cam, [(x, 0, z), (x, height, z), (x, height, z + length), (x, 0, z + length)], colour
                )
                for wz in np.arange(z + 1.0, z + length - 1.0, 2.5):  # windows
                    for wy in np.arange(1.2, height - 1.0, 3.0):
                        fill_world_poly(
                            img,
                            cam,
                            [(x, wy, wz), (x, wy + 1.3, wz), (x, wy + 1.3, wz + 1.4), (x, wy, wz + 1.4)],
                            (90, 80, 70),
                        )
            z += length + brng.uniform(0, 2)
    for x0, x1 in ((facade_l, street.left), (street.right, facade_r)):
        fill_world_poly(img, cam, [(x0, 0, zs), (x1, 0, zs), (x1, 0, ze), (x0, 0, ze)], street.pavement_colour)
    fill_world_poly(
        img,
        cam,
        [(street.left, 0, zs), (street.right, 0, zs), (street.right, 0, ze), (street.left, 0, ze)],
        street.asphalt,
    )
    for x in (street.left, street.right):  # kerbs and edge lines
        fill_world_poly(
            img,
            cam,
            [(x - 0.15, 0.02, zs), (x + 0.15, 0.02, zs), (x + 0.15, 0.02, ze), (x - 0.15, 0.02, ze)],
            (200, 200, 200),
        )
    lane = street.left + street.lane_width
    while lane < street.right - 0.5:
        z = float(np.floor(zs / 9.0) * 9.0)
        while z < ze:
            fill_world_poly(
                img,
                cam,
                [(lane - 0.07, 0, z), (lane + 0.07, 0, z), (lane + 0.07, 0, z + 3), (lane - 0.07, 0, z + 3)],
                street.marking,
            )
            z += 9.0
        lane += street.lane_width
    # Street lights along the right pavement, every 25 m.
    z = float(np.floor(zs / 25.0) * 25.0) + 12.0
    px = street.right + street.pavement * 0.6
    while z < ze:
        fill_world_poly(
            img, cam, [(px - 0.08, 0, z), (px + 0.08, 0, z), (px + 0.08, 7, z), (px - 0.08, 7, z)], (70, 70, 75)
        )
        z += 25.0
    return img
