"""Random bytes and mutated sentences at the NMEA parser: it never raises and never accepts a bad fix."""

from __future__ import annotations

import math

from helpers.gps import nmea_bytes, straight_track
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anpr.gps.nmea import NmeaParser

CLEAN_LINES = straight_track(6, speed_mps=15.0, heading=30.0, kinds=("RMC", "VTG", "GGA", "GSA"))
CLEAN = {(f.fixed_at, f.lat, f.lon) for f in NmeaParser().feed(nmea_bytes(CLEAN_LINES))}
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sane(fix) -> bool:  # type: ignore[no-untyped-def]
    return (
        math.isfinite(fix.lat)
        and math.isfinite(fix.lon)
        and -90 <= fix.lat <= 90
        and -180 <= fix.lon <= 180
        and fix.fixed_at.tzinfo is not None
        and fix.fixed_at.year >= 2024
        and (fix.speed_mps is None or 0 <= fix.speed_mps < 1000)
        and (fix.heading_deg is None or 0 <= fix.heading_deg < 360)
        and (fix.hdop is None or fix.hdop >= 0)
    )


@FAST
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_random_bytes_never_crash_nor_make_fixes(chunks: list[bytes]) -> None:
    p = NmeaParser()
    fixes = [f for c in chunks for f in p.feed(c)] + p.flush()
    assert all(sane(f) for f in fixes)


@FAST
@given(st.data())
def test_single_byte_corruption_never_yields_a_wrong_position(data: st.DataObject) -> None:
    # NMEA's XOR checksum catches every single-byte substitution, so whatever still comes out must be a
    # fix of the clean log (the epoch may lose a sentence, never gain a wrong value).
    raw = bytearray(nmea_bytes(CLEAN_LINES))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        new = data.draw(st.integers(0, 254))
        raw[i] = new if new < raw[i] else new + 1  # any byte but the one already there
    p = NmeaParser()
    fixes = p.feed(bytes(raw)) + p.flush()
    for f in fixes:
        assert sane(f)
        assert any(f.fixed_at == t and abs(f.lat - la) < 1e-9 and abs(f.lon - lo) < 1e-9 for t, la, lo in CLEAN)


@FAST
@given(
    line=st.sampled_from(CLEAN_LINES),
    field=st.integers(0, 20),
    value=st.one_of(st.text(alphabet="0123456789.-+eEnaNinfNSEWAV", max_size=12), st.text(max_size=8)),
)
def test_mutated_fields_with_a_recomputed_checksum_stay_in_range(line: str, field: int, value: str) -> None:
    # A receiver with a firmware bug sends valid checksums around impossible values.
    body = line[1:].split("*")[0].split(",")
    if field < len(body):
        body[field] = value.replace(",", "").replace("*", "").replace("$", "")
    text = ",".join(body)
    cs = 0
    for ch in text.encode("ascii", errors="replace"):
        cs ^= ch
    mutated = f"${text}*{cs:02X}"
    p = NmeaParser()
    start = [x for x in CLEAN_LINES[:4]]  # a complete earlier epoch gives a date for GGA-only epochs
    fixes = p.feed(nmea_bytes(start)) + p.feed((mutated + "\r\n").encode("utf-8", errors="replace")) + p.flush()
    assert all(sane(f) for f in fixes)
