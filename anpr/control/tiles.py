"""Map tiles from a local MBTiles file (SQLite, https://github.com/mapbox/mbtiles-spec), for a control room
whose operators cannot reach a tile server. Raster tiles only (PNG, JPEG, WebP): the page is Leaflet.

The file is opened read-only; a request names z/x/y as Leaflet does (XYZ, y down) and MBTiles stores
TMS rows (y up), hence the flip.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"RIFF", "image/webp"))


class TileError(Exception):
    """An MBTiles file that cannot be served (missing, not SQLite, no tiles table, vector tiles)."""


class MBTiles:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise TileError(f"map.mbtiles: no file at {self.path}")
        try:
            self._db = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())
            self._db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
        except sqlite3.Error as err:
            raise TileError(f"map.mbtiles {self.path}: not an MBTiles file ({err})") from None
        fmt = str(meta.get("format", "png")).lower()
        if fmt in ("pbf", "mvt"):
            raise TileError(f"map.mbtiles {self.path}: vector tiles ({fmt}); the page needs raster PNG/JPEG/WebP")
        self.name = str(meta.get("name", self.path.stem))
        self.attribution = str(meta.get("attribution", ""))
        self._lock = threading.Lock()
        log.info("map tiles from %s (%s, %s)", self.path, self.name, fmt)

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """(data, media type) of tile z/x/y (XYZ numbering), or None when the file has no such tile."""
        if not (0 <= z <= 22 and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, 2**z - 1 - y),
            ).fetchone()
        if row is None or not row[0]:
            return None
        data = bytes(row[0])
        media = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
        if media is None:  # gzip'd vector data or junk: never sent as an image
            return None
        return data, media

    def close(self) -> None:
        with self._lock:
            self._db.close()
