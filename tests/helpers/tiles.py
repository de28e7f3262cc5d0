"""A tiny MBTiles file of made-up streets over La Serena, for the page's street map in tests and screenshots.

Streets are drawn in world coordinates (every `STREET_DEG` of latitude and longitude, plus an avenue and
the coast road), so they meet across tile edges at every zoom. Nothing here is real map data.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import cv2
import numpy as np

BBOX = (-71.275, -29.925, -71.225, -29.885)  # min_lon, min_lat, max_lon, max_lat
STREET_DEG = 0.0025
_BG, _STREET, _AVENUE, _EDGE = (236, 239, 242), (255, 255, 255), (120, 200, 250), (205, 208, 212)


def _x(lon: float, z: int) -> float:
    return (lon + 180.0) / 360.0 * float(2**z) * 256


def _y(lat: float, z: int) -> float:
    r = math.radians(lat)
    return (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * float(2**z) * 256


def _tile_range(z: int) -> tuple[range, range]:
    w, s, e, n = BBOX
    xs = range(int(_x(w, z) // 256), int(_x(e, z) // 256) + 1)
    return xs, range(int(_y(n, z) // 256), int(_y(s, z) // 256) + 1)


def _tile(z: int, tx: int, ty: int) -> bytes:
    img = np.full((256, 256, 3), _BG, np.uint8)
    ox, oy = tx * 256, ty * 256
    width = max(1, 2 ** (z - 13))

    def line(a: tuple[float, float], b: tuple[float, float], color: tuple[int, int, int], w: int) -> None:
        p = (round(_x(a[1], z) - ox), round(_y(a[0], z) - oy))
        q = (round(_x(b[1], z) - ox), round(_y(b[0], z) - oy))
        cv2.line(img, p, q, _EDGE, w + 2, cv2.LINE_AA)
        cv2.line(img, p, q, color, w, cv2.LINE_AA)

    w, s, e, n = BBOX
    for i in range(int((n - s) / STREET_DEG) + 1):
        lat = s + i * STREET_DEG
        line((lat, w), (lat, e), _STREET, width)
    for i in range(int((e - w) / STREET_DEG) + 1):
        lon = w + i * STREET_DEG
        line((s, lon), (n, lon), _STREET, width)
    line((s, w + 0.01), (n, e - 0.015), _AVENUE, width * 2)  # an avenue across the grid
    ok, png = cv2.imencode(".png", img)
    assert ok
    return png.tobytes()


def make_mbtiles(path: Path, zooms: range = range(12, 18)) -> Path:
    """Write the tile set (TMS rows, as the MBTiles spec stores them); returns `path`."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    meta = {
        "name": "test streets", "format": "png", "attribution": "test tiles (made-up streets)",
        "bounds": ",".join(map(str, BBOX)), "minzoom": str(zooms.start), "maxzoom": str(zooms.stop - 1),
    }  # fmt: skip
    db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    for z in zooms:
        xs, ys = _tile_range(z)
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, 2**z - 1 - y, _tile(z, x, y)) for x in xs for y in ys]
        )
    db.commit()
    db.close()
    return path
