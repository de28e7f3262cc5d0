"""The gpsd source against a real gpsd, fed by gpsfake on a private port; gpsd dies and comes back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from helpers.gps import T0, GpsFake, free_port, gps_cfg, nmea_bytes, straight_track, wait_for

from anpr.gps import build_position
from anpr.gps.clock import Clock
from anpr.gps.gpsd_source import GpsdPosition


def write_log(path: Path, start_s: float, n: int = 150) -> Path:
    path.write_bytes(
        nmea_bytes(
            straight_track(
                n,
                speed_mps=20.0,
                heading=90.0,
                start=T0 + timedelta(seconds=start_s),
                kinds=("RMC", "GGA", "GSA"),
                hdop=1.2,
            )
        )
    )
    return path


@pytest.mark.filterwarnings("ignore:The .warn. method is deprecated:DeprecationWarning")  # inside gpsd-py3
def test_gpsd_fixes_then_gpsd_dies_and_comes_back(tmp_path: Path, gpsfake_factory: type[GpsFake]) -> None:
    port = free_port()
    fake = gpsfake_factory(write_log(tmp_path / "a.nmea", 0), port)
    fake.start()
    pos = build_position(gps_cfg(kind="gpsd", gpsd_port=port, gpsd_poll_s=0.1, gpsd_timeout_s=2.0), Clock())
    assert isinstance(pos, GpsdPosition)
    pos.start()
    try:
        assert wait_for(lambda: pos.status().fixes >= 3, 20), f"no fixes from gpsd: {pos.status()}"
        st = pos.status()
        assert st.connected and st.source == f"gpsd:127.0.0.1:{port}"
        last = st.last_fix
        assert last is not None and last.source == "gpsd" and last.mode == "3d"
        assert last.hdop == pytest.approx(1.2)  # from gpsd's SKY, which gpsd-py3 does not expose
        assert last.speed_mps == pytest.approx(20.0, abs=0.1) and last.heading_deg == pytest.approx(90.0, abs=0.1)
        assert T0 <= last.fixed_at < T0 + timedelta(seconds=150)
        mid = pos.fix_at(last.fixed_at - timedelta(seconds=0.5))
        assert mid is not None and mid.age_s == pytest.approx(0.5) and not mid.stale

        fake.stop()
        assert wait_for(lambda: not pos.status().connected, 10), "gpsd's death went unnoticed"
        n_before = pos.status().fixes
        assert wait_for(lambda: pos.status().reconnects >= 1, 10)

        again = gpsfake_factory(write_log(tmp_path / "b.nmea", 1000), port)
        again.start()
        assert wait_for(lambda: pos.status().fixes >= n_before + 3, 25), f"no fixes after restart: {pos.status()}"
        back = pos.status().last_fix
        assert back is not None and back.fixed_at >= T0 + timedelta(seconds=1000)
        assert pos.status().connected
    finally:
        pos.close()


def test_no_gpsd_at_start_never_raises_and_says_why() -> None:
    pos = build_position(gps_cfg(kind="gpsd", gpsd_port=free_port()))
    assert pos is not None
    pos.start()
    try:
        assert wait_for(lambda: "cannot connect to gpsd" in pos.status().error, 5)
        assert not pos.status().connected and pos.fix_at(T0) is None
    finally:
        pos.close()
