"""A tiny 3-D road scene for the sample videos: a pinhole camera, box-shaped vehicles, a road.

World axes: X to the right, Y up, Z along the road away from the camera, metres. Vehicles are two
boxes (body and cabin) with a plate on the face toward the camera; that is crude, but the plates, the
part the pipeline reads, are the renderer's real output warped through a true perspective.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from anpr.types import Image

Points = npt.NDArray[np.float64]
BGR = tuple[int, int, int]

PLATE_W, PLATE_H = 0.36, 0.13  # metres, car plate (reference/chile-plates.md)


@dataclass(frozen=True, slots=True)
class Camera:
    """Pinhole camera at (x, height, z), pitched down by `pitch_deg`."""

    width: int
    height_px: int
    focal: float
    height: float
    pitch_deg: float
    x: float = 0.0
    z: float = 0.0

    def project(self, pts: Points) -> tuple[Points, npt.NDArray[np.float64]]:
        """Pixel coordinates (N x 2) and depth along the optical axis (N) of world points (N x 3)."""
        t = math.radians(self.pitch_deg)
        d = pts - np.array([self.x, self.height, self.z])
        zc = -d[:, 1] * math.sin(t) + d[:, 2] * math.cos(t)
        yc = -d[:, 1] * math.cos(t) - d[:, 2] * math.sin(t)
        zs = np.maximum(zc, 1e-3)
        uv = np.stack([self.width / 2 + self.focal * d[:, 0] / zs, self.height_px / 2 + self.focal * yc / zs], axis=1)
        return uv, zc

    def horizon_v(self) -> float:
        return self.height_px / 2 - self.focal * math.tan(math.radians(self.pitch_deg))


def _shade(colour: BGR, k: float) -> BGR:
    return (min(255, int(colour[0] * k)), min(255, int(colour[1] * k)), min(255, int(colour[2] * k)))


def fill_world_poly(img: Image, cam: Camera, pts: Sequence[tuple[float, float, float]], colour: BGR) -> None:
    """Fill a planar world polygon, clipped at the near plane (drops it when any corner is behind)."""
    arr = np.asarray(pts, np.float64)
    uv, z = cam.project(arr)
    if (z < 0.3).any():
        return
    cv2.fillPoly(img, [np.round(uv * 4).astype(np.int32)], colour, cv2.LINE_AA, shift=2)


def box_faces(
    x0: float, x1: float, y0: float, y1: float, z0: float, z1: float, cam: Camera
) -> list[tuple[str, list[tuple[float, float, float]]]]:
    """The faces of a box the camera can see, far ones first: top, the side toward the camera, near face."""
    faces: list[tuple[str, list[tuple[float, float, float]]]] = []
    if cam.height > y1:
        faces.append(("top", [(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)]))
    if cam.x > x1:
        faces.append(("side", [(x1, y0, z0), (x1, y1, z0), (x1, y1, z1), (x1, y0, z1)]))
    elif cam.x < x0:
        faces.append(("side", [(x0, y0, z0), (x0, y1, z0), (x0, y1, z1), (x0, y0, z1)]))
    faces.append(("near", [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)]))
    return faces


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A car whose face toward the camera is at `z_near`, centred on `x`; `facing` says which face."""

    x: float
    z_near: float
    colour: BGR
    facing: str = "front"  # "front": coming toward the camera; "rear": we see its back
    width: float = 1.76
    length: float = 4.3
    dim: float = 1.0  # night: everything but the lamps is this much darker
    height: float = 1.45  # roof; above 2 m it is drawn as a bus: one tall box with a band of windows
    across: bool = False  # a bus crossing the road: its length along X, its near face (a side) at z_near

    def extent(self) -> tuple[float, float, float, float]:
        """x0, x1, z0, z1 of the body on the ground."""
        if self.across:
            return self.x - self.length / 2, self.x + self.length / 2, self.z_near, self.z_near + self.width
        return self.x - self.width / 2, self.x + self.width / 2, self.z_near, self.z_near + self.length

    def _c(self, colour: BGR) -> BGR:
        return _shade(colour, self.dim)

    def plate_corners(self) -> Points:
        """tl, tr, br, bl of the plate on the near face (a hair in front of it)."""
        z, y0 = self.z_near - 0.01, 0.36
        hw = PLATE_W / 2
        return np.array(
            [(self.x - hw, y0 + PLATE_H, z), (self.x + hw, y0 + PLATE_H, z), (self.x + hw, y0, z), (self.x - hw, y0, z)]
        )

    def silhouette(self, cam: Camera, *, cabin: bool = True) -> list[npt.NDArray[np.int32]]:
        """Convex hulls of the projected body and cabin: what this vehicle hides behind it. `cabin=False`:
        the whole body as one box 1.5 m tall (coarser: the sample clips' truth was made so)."""
        x0, x1, z0, z1 = self.extent()
        if self.height > 2.0 or not cabin:
            parts = [(x0, x1, max(1.5, self.height), z0, z1)]
        else:  # the body to the bumper's top, the cabin over the middle: a plate behind a boot shows
            cz0, cz1 = (z0 + 1.0, z0 + 3.1) if self.facing == "front" else (z0 + 0.8, z0 + 2.9)
            parts = [(x0, x1, 0.95, z0, z1), (x0 + 0.12, x1 - 0.12, self.height, cz0, cz1)]
        hulls = []
        for px0, px1, top, pz0, pz1 in parts:
            pts = np.array([(x, y, z) for x in (px0, px1) for y in (0.0, top) for z in (pz0, pz1)])
            uv, depth = cam.project(pts)
            if (depth < 0.3).any():
                continue
            hulls.append(np.asarray(cv2.convexHull(np.round(uv).astype(np.int32)), dtype=np.int32))
        return hulls

    def draw(self, img: Image, cam: Camera) -> None:
        hw, z0, z1 = self.width / 2, self.z_near, self.z_near + self.length
        x0, x1 = self.x - hw, self.x + hw
        fill_world_poly(
            img,
            cam,
            [(x0 - 0.15, 0, z0 - 0.1), (x1 + 0.15, 0, z0 - 0.1), (x1 + 0.3, 0, z1 + 0.4), (x0 - 0.3, 0, z1 + 0.4)],
            self._c((28, 30, 32)),
        )  # shadow under the car
        shades = {"top": 1.12, "side": 0.72, "near": 0.92}
        if self.height > 2.0:
            self._draw_bus(img, cam, shades)
            return
        for name, face in box_faces(x0, x1, 0.28, 0.95, z0, z1, cam):
            fill_world_poly(img, cam, face, self._c(_shade(self.colour, shades[name])))
        glass = self._c((70, 60, 50))
        cz0, cz1 = (z0 + 1.0, z0 + 3.1) if self.facing == "front" else (z0 + 0.8, z0 + 2.9)
        for name, face in box_faces(x0 + 0.12, x1 - 0.12, 0.95, 1.45, cz0, cz1, cam):
            fill_world_poly(img, cam, face, self._c(_shade(self.colour, 1.1)) if name == "top" else glass)
        zf = z0 - 0.005
        for sx in (-1, 1):  # tyres below the body
            fill_world_poly(
                img,
                cam,
                [
                    (self.x + sx * (hw - 0.05), 0, zf + 0.3),
                    (self.x + sx * (hw - 0.35), 0, zf + 0.3),
                    (self.x + sx * (hw - 0.35), 0.3, zf + 0.3),
                    (self.x + sx * (hw - 0.05), 0.3, zf + 0.3),
                ],
                self._c((18, 18, 18)),
            )
        fill_world_poly(
            img,
            cam,
            [(x0, 0.28, zf), (x1, 0.28, zf), (x1, 0.52, zf), (x0, 0.52, zf)],
            self._c(_shade(self.colour, 0.55)),
        )  # bumper
        lamp = (225, 235, 240) if self.facing == "front" else (40, 40, 200)
        for sx in (-1, 1):
            xa, xb = self.x + sx * (hw - 0.08), self.x + sx * (hw - 0.42)
            fill_world_poly(img, cam, [(xa, 0.66, zf), (xb, 0.66, zf), (xb, 0.8, zf), (xa, 0.8, zf)], lamp)
        if self.facing == "front":
            fill_world_poly(
                img,
                cam,
                [
                    (self.x - 0.45, 0.58, zf),
                    (self.x + 0.45, 0.58, zf),
                    (self.x + 0.45, 0.8, zf),
                    (self.x - 0.45, 0.8, zf),
                ],
                self._c((35, 35, 38)),
            )  # grille

    def _draw_bus(self, img: Image, cam: Camera, shades: dict[str, float]) -> None:
        x0, x1, z0, z1 = self.extent()
        for name, face in box_faces(x0, x1, 0.3, self.height, z0, z1, cam):
            fill_world_poly(img, cam, face, self._c(_shade(self.colour, shades[name])))
        glass, zf = self._c((70, 60, 50)), z0 - 0.005
        # windows along the near face (a crossing bus's side) or a windscreen (one coming on)
        wx0, wx1 = (x0 + 0.5, x1 - 0.5) if self.across else (x0 + 0.1, x1 - 0.1)
        fill_world_poly(img, cam, [(wx0, 1.4, zf), (wx1, 1.4, zf), (wx1, 2.5, zf), (wx0, 2.5, zf)], glass)


def paste_quad(img: Image, plate: Image, quad: Points) -> None:
    """Warp `plate` onto the pixel quad (tl, tr, br, bl) in place, touching only the quad's bounding box."""
    h, w = img.shape[:2]
    x0, y0 = max(0, math.floor(quad[:, 0].min()) - 1), max(0, math.floor(quad[:, 1].min()) - 1)
    x1, y1 = min(w, math.ceil(quad[:, 0].max()) + 2), min(h, math.ceil(quad[:, 1].max()) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    qw = float(np.linalg.norm(quad[1] - quad[0]))
    tw = max(4, round(qw * 2))
    src = cv2.resize(plate, (tw, max(4, round(tw * plate.shape[0] / plate.shape[1]))), interpolation=cv2.INTER_AREA)
    sh, sw = src.shape[:2]
    m = cv2.getPerspectiveTransform(
        np.array([(0, 0), (sw, 0), (sw, sh), (0, sh)], np.float32), (quad - [x0, y0]).astype(np.float32)
    )
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(src, m, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((sh, sw), np.float32), m, size, flags=cv2.INTER_LINEAR)[..., None]
    roi = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = (roi * (1 - mask) + warped.astype(np.float32) * mask).round().astype(np.uint8)


def sky_and_ground(cam: Camera, sky: tuple[BGR, BGR], ground: BGR) -> Image:
    """Gradient sky above the horizon, flat ground colour below."""
    img = np.empty((cam.height_px, cam.width, 3), np.uint8)
    hv = int(max(0, min(cam.height_px, cam.horizon_v())))
    t = np.linspace(0, 1, max(hv, 1))[:, None]
    top, bottom = np.array(sky[0], np.float64), np.array(sky[1], np.float64)
    img[:hv] = (top * (1 - t) + bottom * t).astype(np.uint8)[:, None, :]
    img[hv:] = ground
    return img
