"""A generated burst of events through `build_uplink`, for fault drills and benchmarks.

    python -m anpr.bench.drill --port 1883 --state /tmp/s --count 500 --hits-every 10

Prints `ID <event_id> <kind>` once `submit` has returned (the event is committed), so a drill that
kills this process knows exactly which events were promised. Then waits for the outbox to drain and
prints `DRAINED` (exit 0), or exits 1 if it did not drain within --drain-timeout.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import datetime, timedelta, timezone

from anpr.core.ids import new_event_id
from anpr.types import Candidate, HotlistEntry, HotlistMatch, PlateEvent
from anpr.uplink.config import UplinkConfig
from anpr.uplink.sink import UplinkSink, build_uplink

_LETTERS = "BCDFGHJKLPRSTVWXYZ"


def synthetic_event(i: int, kind: str, device_id: str, now: datetime | None = None) -> PlateEvent:
    """A plausible event: plate i in the 2007 car format, a match for hits (never covert)."""
    now = now or datetime.now(timezone.utc)
    plate = "".join(_LETTERS[(i // 18**k) % 18] for k in range(4)) + f"{i % 100:02d}"
    match = None
    if kind == "hit":
        entry = HotlistEntry(plate=plate, list_name="drill", reason="drill", priority=1, source="drill")
        match = HotlistMatch(entry=entry, kind="exact", distance=0, matched_text=plate, list_version=1)
    return PlateEvent(
        event_id=new_event_id(now),
        kind=kind,  # type: ignore[arg-type]
        device_id=device_id,
        camera_id="drill",
        passage_id=f"drill-{i}",
        plate=plate,
        confidence=0.9,
        format="car_2007",
        alternatives=(Candidate(plate[:-1] + "0", 0.05, "car_2007"),),
        first_seen=now - timedelta(milliseconds=500),
        last_seen=now,
        fix=None,
        match=match,
        crop_jpeg=None,
        model_versions=(("detector", "drill"),),
        hotlist_version=1,
    )


def wait_drained(sink: UplinkSink, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = sink.outbox.stats()
        inflight = sink.publisher.stats()["inflight"] if sink.publisher is not None else 0
        if st.pending_hits + st.pending_reads == 0 and inflight == 0:
            return True
        time.sleep(0.05)
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m anpr.bench.drill", description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=1883)
    ap.add_argument("--state", required=True, help="state folder holding the outbox")
    ap.add_argument("--device", default="drill")
    ap.add_argument("--count", type=int, default=500, help="events to generate (0: only drain the outbox)")
    ap.add_argument("--hits-every", type=int, default=10, help="every n-th event is a hit")
    ap.add_argument("--rate", type=float, default=0.0, help="events per second (0: as fast as possible)")
    ap.add_argument("--drain-timeout", type=float, default=60.0)
    ap.add_argument("--max-bytes", type=int, default=256 * 1024 * 1024)
    ap.add_argument("--inflight", type=int, default=32)
    ap.add_argument("--linger", type=float, default=0.0, help="stay connected this long after draining")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    cfg = UplinkConfig(
        enabled=True, host=args.host, port=args.port, reconnect_min_s=1, reconnect_max_s=2,
        outbox_max_bytes=args.max_bytes, inflight_max=args.inflight, keepalive_s=5, alert_log=False,
    )  # fmt: skip
    sink = build_uplink(cfg, args.device, args.state, lambda: {"drill": True})
    assert isinstance(sink, UplinkSink)
    t0 = time.monotonic()
    for i in range(args.count):
        kind = "hit" if args.hits_every and i % args.hits_every == 0 else "read"
        ev = synthetic_event(i, kind, args.device)
        sink.submit(ev)
        sys.stdout.write(f"ID {ev.event_id} {kind}\n")
        sys.stdout.flush()
        if args.rate > 0:
            time.sleep(max(0.0, t0 + (i + 1) / args.rate - time.monotonic()))
    ok = wait_drained(sink, args.drain_timeout)
    print("DRAINED" if ok else "NOT-DRAINED", flush=True)
    time.sleep(args.linger)
    sink.close(2.0)
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
