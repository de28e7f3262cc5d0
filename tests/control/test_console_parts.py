"""The console's parts without a browser: Chilean dates, local times in exports, the map config, MBTiles."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers.tiles import make_mbtiles

from anpr.control.config import control_from_dict
from anpr.control.export import local_time, to_csv
from anpr.control.headers import CSP
from anpr.control.query import filter_from_params, parse_time
from anpr.control.tiles import MBTiles, TileError
from anpr.core.settings import ConfigError

SCL = ZoneInfo("America/Santiago")


def test_chilean_dates_are_local_time_with_the_offset_of_that_day() -> None:
    # Chile is UTC-4 in winter (CLT) and UTC-3 in summer (CLST)
    assert parse_time("17-05-2024 14:30", SCL) == parse_time("2024-05-17T18:30:00Z")
    assert parse_time("15-01-2024 14:30:15", SCL) == parse_time("2024-01-15T17:30:15Z")
    assert parse_time("17/05/2024", SCL) == parse_time("2024-05-17T04:00:00Z")
    assert parse_time("2024-05-17T18:30:00Z", SCL) == parse_time("2024-05-17T18:30:00Z")  # ISO stays ISO
    for bad in ("31-02-2024", "17-13-2024 10:00", "17-05-2024 25:00"):
        with pytest.raises(ValueError, match="dd-mm-yyyy"):
            parse_time(bad, SCL)
    flt = filter_from_params({"since": "17-05-2024 14:30"}, 10, tz=SCL)
    assert flt.since == parse_time("2024-05-17T18:30:00Z")


def test_exports_have_a_local_time_column_beside_the_iso_ones() -> None:
    assert local_time("2024-05-17T18:30:00.000Z", SCL) == "17-05-2024 14:30:00"
    assert local_time("2024-01-15T17:30:00Z", SCL) == "15-01-2024 14:30:00"
    row = {"event_id": "e1", "passage_id": "front-1", "kind": "hit", "device_id": "movil-07", "camera_id": "front",
           "plate": "BBCD12", "confidence": 0.9, "first_seen": "2024-05-17T18:29:59.000Z",
           "last_seen": "2024-05-17T18:30:00.000Z", "lat": -29.9, "lon": -71.25, "match_kind": "exact",
           "reason": "stolen", "list_name": "robados", "priority": 1, "hotlist_version": 3, "final": True,
           "received_at": 1715970601.0}  # fmt: skip
    header, line = to_csv([row], SCL).splitlines()
    cols = dict(zip(header.split(","), line.split(","), strict=True))
    assert cols["passage_id"] == "front-1" and cols["local_time"] == "17-05-2024 14:30:00"
    assert cols["last_seen"] == "2024-05-17T18:30:00.000Z" and cols["received_at"].endswith("Z")


def test_map_config_says_what_is_wrong() -> None:
    def load(**web_map: object) -> object:
        return control_from_dict({"map": web_map})

    with pytest.raises(ConfigError, match="attribution"):
        load(tiles_url="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    with pytest.raises(ConfigError, match=r"\{z\}"):
        load(tiles_url="https://tiles.example.cl/tiles.png", attribution="x")
    with pytest.raises(ConfigError, match="not both"):
        load(tiles_url="https://t.example.cl/{z}/{x}/{y}.png", mbtiles="a.mbtiles", attribution="x")
    with pytest.raises(ConfigError, match="timezone"):
        control_from_dict({"web": {"timezone": "Chile/Nowhere"}})
    cfg = control_from_dict({"map": {"tiles_url": "https://{s}.tile.example.cl/{z}/{x}/{y}.png", "attribution": "©"}})
    assert cfg.map.tile_origin() == "https://*.tile.example.cl"
    assert "img-src 'self' data: https://*.tile.example.cl;" in CSP.format(tiles=f" {cfg.map.tile_origin()}")


def test_mbtiles_serves_xyz_tiles_and_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    tiles = MBTiles(make_mbtiles(tmp_path / "t.mbtiles", zooms=range(14, 15)))
    z, x, y = 14, 4949, 9619  # La Serena centre at zoom 14 (XYZ numbering)
    data, media = tiles.tile(z, x, y) or (b"", "")
    assert media == "image/png" and data.startswith(b"\x89PNG")
    assert tiles.tile(z, x, 2**z - 1 - y) is None  # the TMS row number is not an XYZ tile
    assert tiles.tile(14, 2**14, 0) is None and tiles.tile(40, 0, 0) is None
    assert tiles.attribution == "test tiles (made-up streets)"
    tiles.close()
    with pytest.raises(TileError, match="no file"):
        MBTiles(tmp_path / "missing.mbtiles")
    (tmp_path / "junk.mbtiles").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(TileError, match="not an MBTiles file"):
        MBTiles(tmp_path / "junk.mbtiles")
    vec = tmp_path / "vector.mbtiles"
    db = sqlite3.connect(vec)
    db.executescript("CREATE TABLE metadata (name, value); CREATE TABLE tiles (zoom_level, tile_column, tile_row,"
                     " tile_data); INSERT INTO metadata VALUES ('format', 'pbf');")  # fmt: skip
    db.close()
    with pytest.raises(TileError, match="vector tiles"):
        MBTiles(vec)
