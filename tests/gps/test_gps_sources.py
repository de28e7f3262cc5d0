"""Replay and fixed sources, the factory, the config section and the `anpr gps` commands."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.gps import LAT0, LON0, T0, nmea_bytes, point_along, straight_track

from anpr.app.config import ConfigError, from_dict
from anpr.cli.main import main
from anpr.gps import Position, build_position
from anpr.gps.config import GpsConfig
from anpr.gps.fixed import FixedPosition
from anpr.gps.replay import ReplayPosition
from anpr.gps.trail import distance_m


@pytest.fixture
def patrol_log(tmp_path: Path) -> Path:
    # Like sample_videos/patrol.nmea: from 2026-01-01T12:00:00Z, GGA+RMC+VTG at 1 Hz; plus a corrupt line.
    lines = straight_track(60, speed_mps=15.0, heading=0.0, kinds=("GGA", "RMC", "VTG"))
    lines.insert(10, lines[10][:-2] + "00")
    path = tmp_path / "patrol.nmea"
    path.write_bytes(nmea_bytes(lines))
    return path


def test_replay_maps_the_log_onto_the_video_timeline(patrol_log: Path) -> None:
    video_start = T0 + timedelta(days=3, hours=1)  # a video whose first frame is stamped elsewhere
    pos = build_position(GpsConfig(kind="replay", replay_path=str(patrol_log), replay_start_time=video_start))
    assert isinstance(pos, ReplayPosition) and isinstance(pos, Position)
    pos.start()
    fix = pos.fix_at(video_start + timedelta(seconds=20.5))
    assert fix is not None and not fix.stale and fix.source == "replay"
    assert distance_m(fix.lat, fix.lon, *point_along(LAT0, LON0, 0.0, 15.0 * 20.5)) < 0.5
    assert fix.fixed_at == video_start + timedelta(seconds=20)  # on the video's timeline too
    late = pos.fix_at(video_start + timedelta(seconds=80))
    assert late is not None and late.stale
    st = pos.status()
    assert st.fixes == 60 and st.sentences_bad == 1 and st.connected


def test_replay_log_start_picks_the_aligned_moment(patrol_log: Path) -> None:
    cfg = GpsConfig(kind="replay", replay_path=str(patrol_log), replay_log_start=T0 + timedelta(seconds=30))
    pos = build_position(cfg)
    assert pos is not None
    fix = pos.fix_at(cfg.replay_start_time)
    assert fix is not None and distance_m(fix.lat, fix.lon, *point_along(LAT0, LON0, 0.0, 450.0)) < 0.5


def test_replay_of_a_missing_log_logs_and_gives_no_fix(tmp_path: Path) -> None:
    pos = build_position(GpsConfig(kind="replay", replay_path=str(tmp_path / "none.nmea")))
    assert pos is not None and pos.fix_at(T0) is None
    assert "cannot read" in pos.status().error and not pos.status().connected


def test_fixed_and_none() -> None:
    assert build_position(GpsConfig()) is None
    pos = build_position(GpsConfig(kind="fixed", fixed_lat=-33.0245, fixed_lon=-71.5518, fixed_heading_deg=45.0))
    assert isinstance(pos, FixedPosition)
    fix = pos.fix_at(T0)
    assert (fix.lat, fix.lon, fix.heading_deg, fix.mode, fix.fixed_at) == (-33.0245, -71.5518, 45.0, "fixed", T0)
    assert fix.age_s == 0 and not fix.stale


@pytest.mark.parametrize(
    ("gps", "message"),
    [
        ({"kind": "fixed", "fixed_lat": -33.0}, "needs fixed_lat and fixed_lon"),
        ({"kind": "serial", "serial_baud": 9601}, "serial_baud"),
        ({"kind": "gps"}, "gps.kind"),
        ({"fixed_lat": 95}, "fixed_lat"),
        ({"replay_start_time": "2026-01-01T12:00:00"}, "time zone"),
        ({"serial_speed": 9600}, "unknown key"),
    ],
)
def test_config_errors_are_clear(gps: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict({"gps": gps})


def test_cli_replay_check(patrol_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gps", "replay-check", str(patrol_log), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["fixes"] == 60 and doc["sentences_bad"] == 1 and doc["median_interval_s"] == 1.0
    assert doc["distance_m"] == pytest.approx(15.0 * 59, rel=0.01)
    assert doc["first"] == T0.isoformat()


def test_cli_status(patrol_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "anpr.toml"
    cfg.write_text(f'[gps]\nkind = "replay"\nreplay_path = "{patrol_log}"\n')
    assert main(["gps", "status", "-c", str(cfg), "--wait", "0"]) == 0
    out = capsys.readouterr().out
    assert "replay:" in out and f"{LAT0:.6f}" in out and "clock:" in out
    cfg.write_text('[gps]\nkind = "fixed"\nfixed_lat = -33.5\nfixed_lon = -70.6\n')
    assert main(["gps", "status", "-c", str(cfg), "--json", "--wait", "0"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["current"]["mode"] == "fixed" and doc["clock_corrected"] is False
    cfg.write_text('[gps]\nkind = "fixed"\n')
    assert main(["gps", "status", "-c", str(cfg)]) == 2
    assert "fixed_lat" in capsys.readouterr().err
