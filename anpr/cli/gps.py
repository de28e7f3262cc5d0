"""`anpr gps status` and `anpr gps replay-check`."""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from anpr.cli.common import add_config, add_json, load_config, print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("gps", help="position source: status, replay-log check")
    gsub = p.add_subparsers(dest="gps_command", metavar="GPS_COMMAND", required=True)

    s = gsub.add_parser("status", help="source, fix, age and clock offset of the configured position source")
    add_config(s, "TOML config (default: built-in defaults)")
    add_json(s)
    s.add_argument("--wait", type=float, default=3.0, metavar="S", help="wait up to S seconds for a fix (default 3)")
    s.set_defaults(func=_status)

    r = gsub.add_parser("replay-check", help="read an NMEA log and summarise its fixes")
    r.add_argument("nmea", type=Path, metavar="NMEA", help="NMEA 0183 log file")
    add_json(r)
    r.set_defaults(func=_replay_check)


def _status(args: argparse.Namespace) -> int:
    from anpr.gps import build_position
    from anpr.gps.clock import Clock

    cfg = load_config(args)
    clock = Clock(min_year=cfg.gps.min_valid_year, max_offset_s=cfg.gps.clock_max_offset_s)
    pos = build_position(cfg.gps, clock)
    if pos is None:
        print("gps: no position source configured (gps.kind = 'none')")
        return 1
    pos.start()
    try:
        deadline = time.monotonic() + max(0.0, args.wait)
        while pos.status().last_fix is None and time.monotonic() < deadline:
            time.sleep(0.2)
        st = pos.status()
        if cfg.gps.kind == "fixed":
            current = pos.fix_at(clock.now())
        elif cfg.gps.kind == "replay":
            current = pos.fix_at(cfg.gps.replay_start_time)
        else:
            current = pos.fix_at(clock.now())
    finally:
        pos.close()
    doc = dataclasses.asdict(st) | {"current": None if current is None else dataclasses.asdict(current)}
    doc["clock_now"] = clock.now()
    if args.json:
        print_json(doc, indent=2)
    else:
        print(f"source:  {st.source} ({'connected' if st.connected else 'NOT connected'})")
        if current is None:
            print("fix:     none")
        else:
            speed = "-" if current.speed_mps is None else f"{current.speed_mps:.1f} m/s"
            head = "-" if current.heading_deg is None else f"{current.heading_deg:.0f}°"
            print(
                f"fix:     {current.lat:.6f}, {current.lon:.6f}  {current.mode}  hdop {current.hdop}  "
                f"speed {speed}  heading {head}{'  STALE' if current.stale else ''}"
            )
            print(f"age:     {current.age_s:.1f} s (fix of {current.fixed_at.isoformat()})")
        offset = "unknown" if st.clock_offset_s is None else f"{st.clock_offset_s:+.3f} s (GPS - system)"
        print(f"clock:   offset {offset}; {'GPS-corrected' if st.clock_corrected else 'system clock'}")
        print(
            f"input:   {st.sentences_ok} ok, {st.sentences_bad} bad, {st.fixes} fixes, {st.rejected} rejected, "
            f"{st.reconnects} reconnects"
        )
        if st.error:
            print(f"error:   {st.error}")
    return 0 if current is not None and not current.stale else 1


def _replay_check(args: argparse.Namespace) -> int:
    from anpr.gps.replay import load_log
    from anpr.gps.trail import distance_m

    try:
        fixes, parser = load_log(args.nmea)
    except OSError as err:
        print(f"{args.nmea}: cannot read: {err}", file=sys.stderr)
        return 2
    c = parser.counters
    doc: dict[str, Any] = {
        "path": str(args.nmea),
        "sentences_ok": c.sentences_ok,
        "sentences_bad": c.sentences_bad,
        "checksum_bad": c.checksum_bad,
        "by_type": c.by_type,
        "fixes": len(fixes),
    }
    if fixes:
        times = [f.fixed_at for f in fixes]
        steps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        legs = [distance_m(a.lat, a.lon, b.lat, b.lon) for a, b in itertools.pairwise(fixes)]
        doc |= {
            "first": times[0],
            "last": times[-1],
            "duration_s": (times[-1] - times[0]).total_seconds(),
            "median_interval_s": sorted(steps)[len(steps) // 2] if steps else None,
            "gaps_over_2s": sum(1 for s in steps if s > 2),
            "distance_m": round(sum(legs), 1),
            "lat_range": [min(f.lat for f in fixes), max(f.lat for f in fixes)],
            "lon_range": [min(f.lon for f in fixes), max(f.lon for f in fixes)],
            "with_speed": sum(1 for f in fixes if f.speed_mps is not None),
            "with_heading": sum(1 for f in fixes if f.heading_deg is not None),
        }
    if args.json:
        print_json(doc, indent=2)
    else:
        for k, v in doc.items():
            print(f"{k + ':':<18} {v.isoformat() if isinstance(v, datetime) else v}")
    return 0 if fixes else 1
