"""NMEA 0183 bytes in, validated fixes out: pynmea2 parses, this module decides what is a fix.

One epoch (one second, typically) is spread over several sentences: GGA (position, quality, hdop), RMC
(position, validity, date, speed, course), VTG (speed, course), GSA (2D/3D, dops). Sentences are grouped
by their UTC time; an epoch becomes a fix once it has a position and a date and no sentence of it said
"no fix". Anything malformed, out of range or with a bad checksum is counted and dropped, never guessed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import pynmea2

from anpr.gps._ratelog import RateLimitedLog
from anpr.types import Fix, FixMode

log = logging.getLogger(__name__)

MAX_LINE = 256  # NMEA caps sentences at 82 characters; anything far longer is noise
KNOT_MPS = 0.514444
MAX_SPEED_MPS = 600.0  # faster than any road vehicle can report means a corrupt field


@dataclass
class _Epoch:
    tod: time
    lat: float | None = None
    lon: float | None = None
    day: date | None = None
    speed_mps: float | None = None
    heading_deg: float | None = None
    hdop: float | None = None
    mode: FixMode | None = None
    has_gga: bool = False
    has_rmc: bool = False
    invalid: bool = False
    emitted: bool = False


@dataclass
class NmeaCounters:
    sentences_ok: int = 0
    sentences_bad: int = 0
    checksum_bad: int = 0
    out_of_range: int = 0
    no_fix: int = 0
    undated: int = 0
    fixes: int = 0
    last_error: str = ""
    by_type: dict[str, int] = field(default_factory=dict)


def _num(v: object) -> float | None:
    """A finite float from a pynmea2 field, None when empty; ValueError when it is not a number."""
    if v is None or v == "":
        return None
    f = float(v)  # type: ignore[arg-type]
    if not math.isfinite(f):
        raise ValueError(f"not finite: {v!r}")
    return f


class NmeaParser:
    """Feed bytes as they come; get fixes out. Never raises on input."""

    def __init__(self, source: str = "serial", *, min_year: int = 2024, log_interval_s: float = 30.0) -> None:
        self.source = source
        self.min_year = min_year
        self.counters = NmeaCounters()
        self._buf = b""
        self._epoch: _Epoch | None = None
        self._day: date | None = None  # last valid RMC date: dates GGA-only epochs
        self._gsa_mode: FixMode | None = None
        self._gsa_hdop: float | None = None
        self._last_fix_at: datetime | None = None
        self._rl = RateLimitedLog(log, log_interval_s)

    def feed(self, data: bytes) -> list[Fix]:
        self._buf += data
        out: list[Fix] = []
        *lines, self._buf = self._buf.split(b"\n")
        if len(self._buf) > MAX_LINE:
            self._bad("line too long", self._buf[:40])
            self._buf = b""
        for raw in lines:
            fix = self.feed_line(raw)
            if fix is not None:
                out.append(fix)
        return out

    def reset(self) -> None:
        """Forget a half-read line and epoch (the port was reopened: what follows is unrelated)."""
        self._buf = b""
        self._epoch = None

    def flush(self) -> list[Fix]:
        """End of input (end of a log file): emit the pending epoch if it is complete enough."""
        fix = self._close_epoch()
        return [fix] if fix is not None else []

    def feed_line(self, raw: bytes | str) -> Fix | None:
        """Parse one sentence; returns a fix when this sentence completed (or closed) an epoch."""
        if isinstance(raw, bytes):
            raw = raw.decode("ascii", errors="replace")
        line = raw.strip()
        if not line:
            return None
        start = line.find("$")
        if start < 0 or len(line) > MAX_LINE:
            self._bad("not a sentence", line)
            return None
        line = line[start:]
        try:
            msg = pynmea2.parse(line, check=True)
        except pynmea2.ChecksumError:
            self.counters.checksum_bad += 1
            self._bad("bad or missing checksum", line)
            return None
        except (pynmea2.ParseError, ValueError, TypeError, AttributeError, IndexError) as err:
            self._bad(f"unparsable ({type(err).__name__})", line)
            return None
        kind = getattr(msg, "sentence_type", "")
        self.counters.by_type[kind] = self.counters.by_type.get(kind, 0) + 1
        try:
            fix = self._apply(kind, msg)
        except (ValueError, TypeError, AttributeError, IndexError, OverflowError) as err:
            self.counters.out_of_range += 1
            self._bad(f"invalid {kind} field ({err})", line)
            return None
        self.counters.sentences_ok += 1
        return fix

    def _bad(self, why: str, line: str | bytes) -> None:
        self.counters.sentences_bad += 1
        self.counters.last_error = why
        self._rl.log(why, logging.WARNING, "%s: dropped NMEA input, %s: %.40r", self.source, why, line)
        return None

    # -- sentence handling -------------------------------------------------------------------------

    def _epoch_for(self, tod: object) -> tuple[_Epoch, Fix | None]:
        if not isinstance(tod, time):
            raise ValueError("no valid UTC time")
        closed = None
        if self._epoch is None or self._epoch.tod != tod:
            closed = self._close_epoch()
            self._epoch = _Epoch(tod=tod)
        return self._epoch, closed

    def _apply(self, kind: str, msg: pynmea2.NMEASentence) -> Fix | None:
        if kind == "GSA":
            mode = int(msg.mode_fix_type) if msg.mode_fix_type else 1
            self._gsa_mode = "3d" if mode == 3 else "2d" if mode == 2 else None
            self._gsa_hdop = _num(msg.hdop)
            return None
        if kind == "VTG":
            motion = _motion(_num(msg.true_track), _num(msg.spd_over_grnd_kmph), 1 / 3.6)
            if self._epoch is not None and not self._epoch.emitted:
                self._set_motion(self._epoch, *motion)
            return None
        if kind not in ("GGA", "RMC"):
            return None  # GSV, GLL, ZDA, proprietary: parsed (counted ok), not needed
        # Validate every field before touching the epoch, so a bad sentence changes nothing.
        lat, lon = self._position(msg)
        if kind == "GGA":
            quality = int(msg.gps_qual or 0)
            hdop = _num(msg.horizontal_dil)
            if hdop is not None and hdop < 0:
                raise ValueError(f"hdop {hdop}")
            ep, closed = self._epoch_for(msg.timestamp)
            ep.has_gga = True
            if quality == 0 or lat is None:
                ep.invalid = True
                self.counters.no_fix += 1
            else:
                ep.lat, ep.lon, ep.hdop = lat, lon, hdop
                ep.mode = ep.mode or ("3d" if quality in (1, 2, 4, 5) else "2d")
        else:
            day = self._date(msg.datestamp) if msg.datestamp else None
            motion = _motion(_num(msg.true_course), _num(msg.spd_over_grnd), KNOT_MPS)
            ep, closed = self._epoch_for(msg.timestamp)
            ep.has_rmc = True
            if msg.status != "A" or lat is None:
                ep.invalid = True
                self.counters.no_fix += 1
            else:
                ep.lat, ep.lon = (ep.lat, ep.lon) if ep.has_gga and ep.lat is not None else (lat, lon)
                ep.day = day
                self._day = day or self._day
                self._set_motion(ep, *motion)
        fix = self._close_epoch() if ep.has_gga and ep.has_rmc else None
        return closed or fix

    def _position(self, msg: pynmea2.NMEASentence) -> tuple[float | None, float | None]:
        if not msg.lat or not msg.lon:
            return None, None
        if msg.lat_dir not in ("N", "S") or msg.lon_dir not in ("E", "W"):
            raise ValueError("bad hemisphere")
        if float(msg.lat) >= 9000 or float(msg.lon) >= 18000 or float(msg.lat) < 0 or float(msg.lon) < 0:
            raise ValueError(f"lat/lon out of range: {msg.lat} {msg.lon}")
        lat, lon = float(msg.latitude), float(msg.longitude)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
            raise ValueError(f"lat/lon out of range: {lat} {lon}")
        # pynmea2 reads minutes >= 60 without complaint; a real receiver never writes them.
        for raw, deg_digits in ((msg.lat, 2), (msg.lon, 3)):
            if float(raw[deg_digits:]) >= 60:
                raise ValueError(f"minutes >= 60 in {raw}")
        return lat, lon

    def _date(self, v: object) -> date:
        if not isinstance(v, date):
            raise ValueError(f"impossible date {v!r}")
        if v.year < self.min_year:
            raise ValueError(f"date {v} before {self.min_year} (receiver week rollover?)")
        return v

    def _set_motion(self, ep: _Epoch, heading: float | None, mps: float | None) -> None:
        if heading is not None:
            ep.heading_deg = heading
        if mps is not None:
            ep.speed_mps = mps

    def _close_epoch(self) -> Fix | None:
        ep = self._epoch
        if ep is None or ep.emitted:
            return None
        ep.emitted = True
        if ep.invalid or ep.lat is None or ep.lon is None:
            return None
        day = ep.day or self._day
        if day is None:
            self.counters.undated += 1
            return None
        at = datetime.combine(day, ep.tod.replace(tzinfo=None), tzinfo=timezone.utc)
        if ep.day is None and self._last_fix_at is not None and at < self._last_fix_at - timedelta(hours=12):
            at += timedelta(days=1)  # GGA-only epoch just after midnight, dated by yesterday's RMC
        mode = ep.mode or "3d"
        if self._gsa_mode is not None:
            mode = self._gsa_mode
        hdop = ep.hdop if ep.hdop is not None else self._gsa_hdop
        self._last_fix_at = at
        self.counters.fixes += 1
        return Fix(
            lat=ep.lat,
            lon=ep.lon,
            speed_mps=ep.speed_mps,
            heading_deg=ep.heading_deg,
            hdop=hdop,
            mode=mode,
            fixed_at=at,
            source=self.source,
        )


def _motion(course: float | None, speed: float | None, to_mps: float) -> tuple[float | None, float | None]:
    """(heading, m/s) checked before anything is applied: a sentence with an impossible value changes nothing."""
    if course is not None and not 0 <= course <= 360:
        raise ValueError(f"course {course}")
    mps = None if speed is None else speed * to_mps
    if mps is not None and not 0 <= mps <= MAX_SPEED_MPS:
        raise ValueError(f"speed {speed}")
    return (None if course is None else course % 360.0), mps
