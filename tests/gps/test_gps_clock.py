"""The GPS-corrected clock, with the system clock injected (the real one is not touched)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from anpr.gps.clock import Clock

GPS = datetime(2026, 3, 1, 15, 0, 0, tzinfo=timezone.utc)


class FakeTime:
    """A settable system clock and monotonic clock: a 1970 system time cannot be produced for real."""

    def __init__(self, wall: datetime) -> None:
        self.wall, self.mono = wall, 1000.0

    def advance(self, s: float) -> None:
        self.wall += timedelta(seconds=s)
        self.mono += s

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono


def test_a_1970_system_clock_is_replaced_by_gps_time(caplog) -> None:  # type: ignore[no-untyped-def]
    ft = FakeTime(datetime(1970, 1, 1, 0, 2, 0, tzinfo=timezone.utc))
    clock = Clock(now=ft.now, monotonic=ft.monotonic)
    assert clock.now().year == 1970 and not clock.status().corrected  # no GPS yet: nothing better to say
    with caplog.at_level(logging.WARNING):
        clock.observe(GPS)
    st = clock.status()
    assert st.corrected and "1970" in st.reason and any("GPS time" in r.getMessage() for r in caplog.records)
    assert st.offset_s is not None and st.offset_s > 50 * 365 * 86400
    ft.advance(2.5)
    assert clock.now() == GPS + timedelta(seconds=2.5)
    # NTP steps the system clock later: corrected time keeps running on the monotonic clock.
    ft.wall = datetime(2026, 3, 1, 15, 0, 30, tzinfo=timezone.utc)
    ft.mono += 1.0
    assert clock.now() == GPS + timedelta(seconds=3.5)


def test_hours_off_is_corrected_but_a_good_clock_is_kept() -> None:
    ft = FakeTime(GPS + timedelta(hours=-3))
    clock = Clock(now=ft.now, monotonic=ft.monotonic, max_offset_s=60)
    clock.observe(GPS)
    assert clock.status().corrected and clock.now() == GPS

    ft2 = FakeTime(GPS + timedelta(seconds=0.4))
    good = Clock(now=ft2.now, monotonic=ft2.monotonic)
    good.observe(GPS)
    st = good.status()
    assert not st.corrected and st.offset_s is not None and abs(st.offset_s + 0.4) < 1e-9
    assert good.now() == ft2.wall


def test_one_corrupt_gps_time_moves_nothing() -> None:
    ft = FakeTime(datetime(1970, 1, 1, tzinfo=timezone.utc))
    clock = Clock(now=ft.now, monotonic=ft.monotonic)
    for _ in range(3):
        clock.observe(GPS + timedelta(seconds=ft.mono - 1000.0))
        ft.advance(1.0)
    clock.observe(datetime(2099, 1, 1, tzinfo=timezone.utc))  # valid checksum around a wrong date
    ft.advance(1.0)
    assert clock.now() == GPS + timedelta(seconds=4)


def test_time_never_goes_backwards_within_a_run() -> None:
    ft = FakeTime(GPS + timedelta(hours=2))  # system clock ahead
    clock = Clock(now=ft.now, monotonic=ft.monotonic)
    before = clock.now()
    clock.observe(GPS)  # correction would step two hours back
    after = clock.now()
    assert after == before and clock.status().held == 1
    ft.advance(1.0)
    assert clock.now() >= after
    times = []
    for _ in range(5):
        ft.wall -= timedelta(seconds=1)  # a system clock stepping back on its own, not corrected
        times.append(clock.now())
    assert times == sorted(times)
