"""A GPS date from the future or the past is refused, counted, and never moves the clock.

Through the real serial source on a pseudo-terminal and the real gpsd fed by gpsfake.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers.gps import T0, GpsFake, Pty, free_port, gps_cfg, nmea_bytes, sentences, straight_track, wait_for

from anpr.gps.clock import Clock
from anpr.gps.gpsd_source import GpsdPosition
from anpr.gps.nmea import NmeaParser
from anpr.gps.plausible import RELEASE_DATE, TimeCheck
from anpr.gps.serial_source import SerialPosition

FUTURE = datetime(2068, 3, 4, 12, 0, tzinfo=timezone.utc)  # the date seen from a serial receiver
ROLLOVER = T0 - timedelta(weeks=1024)  # a receiver with the GPS week-number rollover bug


@pytest.mark.parametrize("bad", [FUTURE, ROLLOVER], ids=["2068", "week-rollover"])
def test_serial_implausible_dates_are_refused_and_never_reach_the_clock(pty: Pty, bad: datetime) -> None:
    clock = Clock()
    pos = SerialPosition(gps_cfg(kind="serial", serial_port=str(pty.link), min_valid_year=1990), clock)
    pos.start()
    try:
        assert wait_for(lambda: pos.status().connected, 5)  # bytes written before the port opens are lost
        pty.write(nmea_bytes(straight_track(5, start=bad)))
        assert wait_for(lambda: pos.rejected >= 5, 5), pos.status()
        st = pos.status()
        assert st.fixes == 0 and st.last_fix is None
        assert clock.status().offset_s is None and not clock.status().corrected  # the clock never saw it
        pty.write(nmea_bytes(straight_track(3)))  # a sane receiver afterwards is taken as before
        assert wait_for(lambda: pos.status().fixes == 3, 5)
    finally:
        pos.close()


@pytest.mark.filterwarnings("ignore:The .warn. method is deprecated:DeprecationWarning")  # inside gpsd-py3
def test_gpsd_future_date_is_refused(tmp_path: Path, gpsfake_factory: type[GpsFake]) -> None:
    log = tmp_path / "future.nmea"
    log.write_bytes(nmea_bytes(straight_track(60, start=FUTURE, kinds=("RMC", "GGA", "GSA"))))
    port = free_port()
    fake = gpsfake_factory(log, port)
    fake.start()
    clock = Clock()
    pos = GpsdPosition(gps_cfg(kind="gpsd", gpsd_port=port, gpsd_poll_s=0.1), clock)
    pos.start()
    try:
        assert wait_for(lambda: pos.rejected >= 3, 40), pos.status()
        assert pos.status().fixes == 0 and clock.status().offset_s is None
    finally:
        pos.close()
        fake.stop()


def test_time_check_rules() -> None:
    now = datetime(2027, 6, 1, tzinfo=timezone.utc)
    synced = TimeCheck(max_ahead_s=600, synced=lambda: True, now=lambda: now)
    assert synced.why_not(now) is None
    assert synced.why_not(now + timedelta(seconds=599)) is None
    assert "ahead" in str(synced.why_not(now + timedelta(hours=2)))
    unsynced = TimeCheck(max_ahead_s=600, synced=lambda: False, now=lambda: now)
    assert unsynced.why_not(now + timedelta(days=200)) is None  # a Pi without an RTC: its clock is no judge
    assert "years after" in str(unsynced.why_not(FUTURE))
    assert "before this release" in str(unsynced.why_not(ROLLOVER))


def test_release_date_is_not_in_the_future() -> None:
    assert date(2026, 1, 1) < RELEASE_DATE <= datetime.now(timezone.utc).date()


def test_rmc_with_impossible_speed_yields_no_fix() -> None:
    parser = NmeaParser("serial")
    good = sentences(T0, -33.45, -70.66, 10.0, 90.0, kinds=("RMC", "GGA"))
    bad_rmc = good[0].split("*")[0].split(",")
    bad_rmc[7] = "99999.0"  # speed over ground, knots
    body = ",".join(bad_rmc)[1:]
    checksum = 0
    for ch in body:
        checksum ^= ord(ch)
    fixes = parser.feed(nmea_bytes([f"${body}*{checksum:02X}", good[1]])) + parser.flush()
    assert fixes == [] and parser.counters.out_of_range == 1
