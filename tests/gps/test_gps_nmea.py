"""The NMEA parser: what it accepts as a fix and what it counts and drops."""

from __future__ import annotations

import logging
from datetime import timedelta

import pynmea2
import pytest
from helpers.gps import LAT0, LON0, T0, nmea_bytes, sentences, straight_track

from anpr.gps.nmea import NmeaParser


def parse_all(data: bytes, **kw: object) -> tuple[list, NmeaParser]:  # type: ignore[type-arg]
    p = NmeaParser(**kw)  # type: ignore[arg-type]
    return p.feed(data) + p.flush(), p


def test_clean_log_gives_one_fix_per_epoch_with_speed_heading_hdop() -> None:
    fixes, p = parse_all(nmea_bytes(straight_track(5, speed_mps=20.0, heading=60.0)))
    assert [f.fixed_at for f in fixes] == [T0 + timedelta(seconds=i) for i in range(5)]
    f = fixes[0]
    assert f.lat == pytest.approx(LAT0, abs=1e-6) and f.lon == pytest.approx(LON0, abs=1e-6)
    assert f.speed_mps == pytest.approx(20.0, abs=0.01)
    assert f.heading_deg == pytest.approx(60.0)
    assert f.hdop == pytest.approx(0.9) and f.mode == "3d" and f.source == "serial"
    assert p.counters.sentences_bad == 0 and p.counters.fixes == 5


def test_bytes_split_anywhere_give_the_same_fixes() -> None:
    data = nmea_bytes(straight_track(4))
    whole, _ = parse_all(data)
    p = NmeaParser()
    pieces = [p.feed(data[i : i + 7]) for i in range(0, len(data), 7)]
    assert [f for chunk in pieces for f in chunk] + p.flush() == whole


def test_gsa_sets_2d_mode_and_vtg_alone_gives_motion() -> None:
    lines = sentences(T0, LAT0, LON0, 10.0, 90.0, kinds=("GSA",))
    lines[0] = str(pynmea2.GSA("GP", "GSA", ("A", "2", "04", "05", "09", *[""] * 9, "2.0", "1.7", "1.0")))
    # GGA first, then VTG, then RMC without speed/course fields: VTG's motion is used.
    gga = sentences(T0, LAT0, LON0, 10.0, 90.0, kinds=("GGA",))
    vtg = sentences(T0, LAT0, LON0, 10.0, 90.0, kinds=("VTG",))
    rmc_data = list(pynmea2.parse(sentences(T0, LAT0, LON0, 10.0, 90.0, kinds=("RMC",))[0]).data)
    rmc_data[6] = rmc_data[7] = ""
    rmc = [str(pynmea2.RMC("GP", "RMC", tuple(rmc_data)))]
    fixes, _ = parse_all(nmea_bytes(lines + gga + vtg + rmc))
    assert len(fixes) == 1
    assert fixes[0].mode == "2d"
    assert fixes[0].speed_mps == pytest.approx(10.0, abs=0.01) and fixes[0].heading_deg == pytest.approx(90.0)


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda s: s[:-2] + ("00" if s[-2:] != "00" else "11"), "checksum"),
        (lambda s: s.split("*")[0], "checksum"),  # checksum missing
        (lambda s: s[: len(s) // 2], "checksum"),  # truncated line
    ],
)
def test_broken_sentences_are_counted_and_dropped(mutate, why, caplog) -> None:  # type: ignore[no-untyped-def]
    lines = straight_track(3)
    bad = [mutate(x) for x in lines]
    with caplog.at_level(logging.WARNING):
        fixes, p = parse_all(nmea_bytes(bad))
    assert fixes == []
    assert p.counters.sentences_bad == len(lines)
    assert any(why in r.getMessage() for r in caplog.records)


def _rmc_gga(t, lat_field: str, lat_dir: str, date: str) -> list[str]:  # type: ignore[no-untyped-def]
    ts = t.strftime("%H%M%S.00")
    rmc = pynmea2.RMC("GP", "RMC", (ts, "A", lat_field, lat_dir, "07040.0000", "W", "10.0", "90.0", date, "", "", "A"))
    gga = pynmea2.GGA(
        "GP", "GGA", (ts, lat_field, lat_dir, "07040.0000", "W", "1", "08", "0.9", "5", "M", "0", "M", "", "")
    )
    return [str(rmc), str(gga)]


@pytest.mark.parametrize(
    ("lat", "lat_dir", "date"),
    [
        ("9130.0000", "S", "010126"),  # latitude beyond the pole
        ("3375.0000", "S", "010126"),  # 75 minutes
        ("3327.0000", "X", "010126"),  # no such hemisphere
        ("3327.0000", "S", "320126"),  # 32 January
        ("3327.0000", "S", "310206"),  # 31 Feb
        ("3327.0000", "S", "010106"),  # 2006: a week-rollover receiver
        ("33a7.0000", "S", "010126"),  # not a number
    ],
)
def test_impossible_values_never_become_a_fix(lat: str, lat_dir: str, date: str) -> None:
    fixes, p = parse_all(nmea_bytes(_rmc_gga(T0, lat, lat_dir, date)))
    assert fixes == []
    assert p.counters.sentences_bad >= 1


def test_no_fix_sentences_give_no_fix_and_garbage_is_survived() -> None:
    noise = b"\x00\xff\xfe$GP\r\n" + bytes(range(256)) + b"\n" + b"A" * 1000 + b"\n"
    invalid = nmea_bytes(sentences(T0, LAT0, LON0, 5.0, 10.0, valid=False))
    good = nmea_bytes(sentences(T0 + timedelta(seconds=1), LAT0, LON0, 5.0, 10.0))
    fixes, p = parse_all(noise + invalid + good)
    assert [f.fixed_at for f in fixes] == [T0 + timedelta(seconds=1)]
    assert p.counters.no_fix >= 2 and p.counters.sentences_bad >= 3


def test_gga_only_epochs_are_dated_by_the_last_rmc_and_undated_ones_dropped() -> None:
    gga_only = straight_track(2, kinds=("GGA",))
    fixes, p = parse_all(nmea_bytes(gga_only))
    assert fixes == [] and p.counters.undated == 2
    later = straight_track(2, kinds=("GGA",), start=T0 + timedelta(seconds=10))
    fixes, _ = parse_all(nmea_bytes(straight_track(1) + later))
    assert [f.fixed_at for f in fixes] == [T0, T0 + timedelta(seconds=10), T0 + timedelta(seconds=11)]
