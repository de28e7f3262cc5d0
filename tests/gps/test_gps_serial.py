"""The serial source on a real pseudo-terminal: the real pyserial code reads what the test writes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from helpers.gps import T0, Pty, gps_cfg, nmea_bytes, straight_track, wait_for

from anpr.gps import build_position
from anpr.gps.clock import Clock
from anpr.gps.serial_source import SerialPosition


@pytest.fixture
def serial_pos(pty: Pty) -> Iterator[SerialPosition]:
    pos = build_position(gps_cfg(kind="serial", serial_port=str(pty.link), no_sentence_timeout_s=1.0), Clock())
    assert isinstance(pos, SerialPosition)
    pos.start()
    assert wait_for(lambda: pos.status().connected, 5), "serial source never opened the pty"
    yield pos
    pos.close()


def test_fixes_arrive_through_the_pty_and_reach_the_clock(pty: Pty, serial_pos: SerialPosition) -> None:
    pty.write(nmea_bytes(straight_track(5, speed_mps=20.0, heading=45.0)))
    assert wait_for(lambda: serial_pos.status().fixes == 5, 5)
    st = serial_pos.status()
    assert st.last_fix is not None and st.last_fix.fixed_at == T0 + timedelta(seconds=4)
    assert st.sentences_ok == 15 and st.sentences_bad == 0 and st.source.startswith("serial:")
    assert st.clock_offset_s is not None  # GPS time vs the system clock, recorded
    fix = serial_pos.fix_at(T0 + timedelta(seconds=2.5))
    assert fix is not None and fix.source == "serial" and fix.age_s == pytest.approx(0.5) and not fix.stale


def test_unplugging_triggers_reconnect_with_backoff(pty: Pty, serial_pos: SerialPosition) -> None:
    pty.write(nmea_bytes(straight_track(2)))
    assert wait_for(lambda: serial_pos.status().fixes == 2, 5)
    pty.unplug()
    assert wait_for(lambda: not serial_pos.status().connected, 5), "closing the pty went unnoticed"
    assert wait_for(lambda: serial_pos.status().reconnects >= 2, 5)  # retrying an absent port
    pty.plug()
    assert wait_for(lambda: serial_pos.status().connected, 5), "did not reopen the new pty"
    pty.write(nmea_bytes(straight_track(2, start=T0 + timedelta(seconds=10))))
    assert wait_for(lambda: serial_pos.status().fixes == 4, 5)


def test_noise_logs_wrong_baud_switches_rate_and_recovers(
    pty: Pty, serial_pos: SerialPosition, caplog: pytest.LogCaptureFixture
) -> None:
    # What a receiver at another baud rate looks like on the wire: bytes that never frame a sentence.
    # (A pty ignores the baud setting, so the noise is written as such.)
    with caplog.at_level(logging.INFO):
        for _ in range(15):
            pty.write(bytes(range(0x80, 0xFF)) + b"\r\n$GPG\xff\x13\r\n")
            if serial_pos.baud != 9600:
                break
            wait_for(lambda: False, 0.1)
        assert wait_for(lambda: serial_pos.baud != 9600, 3)
    assert "wrong baud rate" in serial_pos.status().error
    assert any("wrong baud rate" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert serial_pos.baud == 4800 and serial_pos.status().fixes == 0
    pty.write(nmea_bytes(straight_track(2)))
    assert wait_for(lambda: serial_pos.status().fixes == 2, 5)
    assert serial_pos.status().error == ""


def test_a_missing_port_never_raises_and_says_why(tmp_path: Path) -> None:
    pos = build_position(gps_cfg(kind="serial", serial_port=str(tmp_path / "nope")))
    assert pos is not None
    pos.start()
    try:
        assert wait_for(lambda: "cannot open" in pos.status().error, 5)
        st = pos.status()
        assert not st.connected and st.last_fix is None and pos.fix_at(T0) is None
    finally:
        pos.close()
