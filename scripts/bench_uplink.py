#!/usr/bin/env python3
"""Uplink benchmark against a loopback mosquitto started here.

Measures: durable enqueues/s (Outbox.put, WAL + synchronous=FULL), PUBACKed publishes/s (a full outbox
drained by MqttPublisher at QoS 1), and submit-to-PUBACK latency of single hits (p50/p95).

    .venv/bin/python scripts/bench_uplink.py [--enqueue 3000] [--publish 5000] [--hits 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from anpr.uplink.config import UplinkConfig
from anpr.uplink.drill import synthetic_event, wait_drained
from anpr.uplink.event import event_to_json
from anpr.uplink.mqtt import MqttPublisher
from anpr.uplink.outbox import Outbox
from anpr.uplink.sink import UplinkSink


def start_broker(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("mosquitto did not start")


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] if len(xs) > 1 else xs[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--enqueue", type=int, default=3000)
    ap.add_argument("--publish", type=int, default=5000)
    ap.add_argument("--hits", type=int, default=200)
    ap.add_argument("--inflight", type=int, default=32)
    ap.add_argument("--batch", type=int, default=20, help="events per transaction in the batched enqueue run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    res: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-uplink-", dir=".") as tmp:
        d = Path(tmp)
        events = (synthetic_event(i, "hit" if i % 10 == 0 else "read", "bench") for i in range(args.publish))
        payloads = [(ev.event_id, ev.kind, event_to_json(ev)) for ev in events]
        box = Outbox(d / "enq.sqlite")
        t0 = time.perf_counter()
        for eid, kind, body in payloads[: args.enqueue]:
            box.put(eid, kind, body)
        res["enqueue_per_s"] = args.enqueue / (time.perf_counter() - t0)
        box.close()
        box = Outbox(d / "enq_batch.sqlite")
        t0 = time.perf_counter()
        for k in range(0, args.publish, args.batch):
            box.put_many(payloads[k : k + args.batch])
        res[f"enqueue_batched{args.batch}_per_s"] = args.publish / (time.perf_counter() - t0)
        box.close()
        fd = os.open(d / "probe", os.O_WRONLY | os.O_CREAT)
        t0 = time.perf_counter()
        for _ in range(200):
            os.write(fd, b"x" * 512)
            os.fsync(fd)
        res["disk_fsync_per_s"] = 200 / (time.perf_counter() - t0)
        os.close(fd)

        broker, port = start_broker(d)
        try:
            cfg = UplinkConfig(enabled=True, host="127.0.0.1", port=port, inflight_max=args.inflight, alert_log=False)
            box = Outbox(d / "pub.sqlite")
            for eid, kind, body in payloads:
                box.put(eid, kind, body)
            pub = MqttPublisher(cfg, box, "bench")
            t0 = time.perf_counter()
            sink = UplinkSink(box, pub)
            if not wait_drained(sink, 120):
                raise SystemExit("publish run did not drain")
            res["publish_per_s"] = args.publish / (time.perf_counter() - t0)

            acked: dict[str, float] = {}
            real_ack = box.ack

            def timed_ack(ids: list[str]) -> None:
                now = time.perf_counter()
                for i in ids:
                    acked.setdefault(i, now)
                real_ack(ids)

            box.ack = timed_ack  # type: ignore[method-assign]
            submitted: dict[str, float] = {}
            for i in range(args.hits):
                ev = synthetic_event(10_000_000 + i, "hit", "bench")
                submitted[ev.event_id] = time.perf_counter()
                sink.submit(ev)
                time.sleep(0.02)
            wait_drained(sink, 30)
            lat = [(acked[e] - t) * 1000 for e, t in submitted.items() if e in acked]
            res["hit_latency_ms_p50"] = pct(lat, 50)
            res["hit_latency_ms_p95"] = pct(lat, 95)
            res["hits_acked"] = len(lat)
            sink.close(2)
        finally:
            broker.terminate()
            broker.wait(5)
    if args.json:
        print(json.dumps(res, sort_keys=True))
    else:
        for k, v in res.items():
            print(f"{k:20} {v:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
