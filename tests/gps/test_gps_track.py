"""The fix at a frame's time: interpolation on a known straight track, dead reckoning, stale, missing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers.gps import LAT0, LON0, T0, nmea_bytes, point_along, straight_track

from anpr.gps.nmea import NmeaParser
from anpr.gps.trail import FixTrack, distance_m
from anpr.types import Fix


def make_track(**kw: float) -> FixTrack:
    args = {"maxlen": 100, "max_age_s": 5.0, "max_gap_s": 10.0, "extrapolate_max_s": 2.0, "max_speed_mps": 150.0}
    return FixTrack(**(args | kw))  # type: ignore[arg-type]


def fill(track: FixTrack, lines: list[str]) -> None:
    p = NmeaParser()
    for f in p.feed(nmea_bytes(lines)) + p.flush():
        assert track.add(f) is None


def test_interpolates_a_straight_line_at_known_speed() -> None:
    track = make_track()
    fill(track, straight_track(10, speed_mps=25.0, heading=60.0))  # 1 Hz
    t = T0 + timedelta(seconds=4.3)
    fix = track.at(t)
    assert fix is not None
    want = point_along(LAT0, LON0, 60.0, 25.0 * 4.3)
    assert distance_m(fix.lat, fix.lon, *want) < 0.5
    assert fix.age_s == pytest.approx(0.3)
    assert fix.fixed_at == T0 + timedelta(seconds=4)  # the nearest real fix
    assert not fix.stale and fix.speed_mps == pytest.approx(25.0, abs=0.01) and fix.heading_deg == pytest.approx(60.0)


def test_dead_reckons_a_little_past_the_last_fix_then_holds_and_goes_stale() -> None:
    track = make_track()
    fill(track, straight_track(3, speed_mps=20.0, heading=180.0))
    near = track.at(T0 + timedelta(seconds=3.5))  # 1.5 s past the last fix
    assert near is not None and not near.stale
    assert distance_m(near.lat, near.lon, *point_along(LAT0, LON0, 180.0, 70.0)) < 0.5
    far = track.at(T0 + timedelta(seconds=9))  # 7 s past: no guessing, last real position, stale
    assert far is not None and far.stale and far.age_s == pytest.approx(7.0)
    assert distance_m(far.lat, far.lon, *point_along(LAT0, LON0, 180.0, 40.0)) < 0.5


def test_no_fix_gives_none_and_a_time_before_the_first_fix_is_aged() -> None:
    track = make_track()
    assert track.at(T0) is None
    fill(track, straight_track(2))
    early = track.at(T0 - timedelta(seconds=6))
    assert early is not None and early.stale and early.age_s == pytest.approx(6.0)


def test_a_long_gap_is_not_bridged() -> None:
    track = make_track(max_gap_s=5.0)
    fill(track, straight_track(1) + straight_track(1, start=T0 + timedelta(seconds=30), speed_mps=0.0, heading=0.0))
    mid = track.at(T0 + timedelta(seconds=12))
    assert mid is not None and mid.fixed_at == T0 and mid.stale and mid.age_s == pytest.approx(12.0)


def test_a_wild_jump_is_rejected_but_a_repeated_one_is_believed() -> None:
    track = make_track()
    base = Fix(LAT0, LON0, 10.0, 0.0, 1.0, "3d", T0, "serial")
    assert track.add(base) is None
    far = [Fix(LAT0 + 1.0, LON0, 10.0, 0.0, 1.0, "3d", T0 + timedelta(seconds=i), "serial") for i in range(1, 5)]
    verdicts = [track.add(f) for f in far]
    assert all(v is not None and "jump" in v for v in verdicts[:3]) and verdicts[3] is None
    assert track.add(base) == "duplicate time"


def test_ring_keeps_only_the_newest() -> None:
    track = make_track(maxlen=3)
    fill(track, straight_track(6))
    first = track.first()
    assert len(track) == 3 and first is not None and first.fixed_at == T0 + timedelta(seconds=3)


def test_interpolation_across_the_antimeridian_and_north_takes_the_short_way() -> None:
    track = make_track(max_speed_mps=1e6)
    a = Fix(0.0, 179.9999, 10.0, 350.0, 1.0, "3d", T0, "x")
    b = Fix(0.0, -179.9999, 10.0, 10.0, 2.0, "2d", T0 + timedelta(seconds=2), "x")
    track.add(a)
    track.add(b)
    mid = track.at(T0 + timedelta(seconds=1))
    assert mid is not None
    assert abs(mid.lon) == pytest.approx(180.0, abs=1e-6)
    assert mid.heading_deg is not None and min(mid.heading_deg, 360 - mid.heading_deg) == pytest.approx(0.0, abs=1e-6)
    assert mid.hdop == 2.0 and mid.mode == "2d"
