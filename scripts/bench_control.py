"""Events per second the control room stores: the store alone, and through a real mosquitto + receiver.

    .venv/bin/python scripts/bench_control.py --events 20000 --publishers 4
    .venv/bin/python scripts/bench_control.py --database-url postgresql://postgres@127.0.0.1:5432/bench

Every 10th event is a hit with a 6 kB crop; reads carry a fix and no crop (the car's defaults). The
end-to-end figure runs from the first publish to the last event committed (receiver acks after commit).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from anpr.bench.drill import synthetic_event
from anpr.control.config import BrokerConfig
from anpr.control.ingest import EventRow, ingest, load_validator
from anpr.control.receiver import Receiver
from anpr.control.store import open_store
from anpr.types import Fix
from anpr.uplink.wire import event_to_json

CROP = b"\xff\xd8" + os.urandom(6000) + b"\xff\xd9"


def payloads(n: int, cars: int) -> list[tuple[str, bytes]]:
    out = []
    for i in range(n):
        kind = "hit" if i % 10 == 0 else "read"
        dev = f"car-{i % cars:03d}"
        ev = synthetic_event(i, kind, dev)
        fix = Fix(-29.90 + (i % 997) * 1e-5, -71.25 + (i % 991) * 1e-5, 10.0, 90.0, 0.9, "3d", ev.last_seen, "bench")
        ev = dataclasses.replace(ev, fix=fix, crop_jpeg=CROP if kind == "hit" else None)
        out.append((f"anpr/{dev}/{kind}", event_to_json(ev)))
    return out


def bench_store(url: str, msgs: list[tuple[str, bytes]], batch: int) -> float:
    v = load_validator()
    rows = [ingest("anpr", t, p, v) for t, p in msgs]
    assert all(isinstance(r, EventRow) for r in rows)
    store = open_store(url)
    t0 = time.perf_counter()
    for i in range(0, len(rows), batch):
        store.add(rows[i : i + batch], time.time())  # type: ignore[arg-type]
    dt = time.perf_counter() - t0
    store.close()
    return len(rows) / dt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def publish(port: int, chunk: list[tuple[str, bytes]], k: int, start: Any) -> None:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-car-{k}", protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(200)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    start.wait()  # every publisher connected: the clock starts now
    infos = [c.publish(t, p, qos=1) for t, p in chunk]
    for info in infos:
        info.wait_for_publish(120)
    c.disconnect()
    c.loop_stop()


def bench_e2e(url: str, msgs: list[tuple[str, bytes]], publishers: int, workdir: Path) -> tuple[float, float]:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    broker = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    store = open_store(url)
    rx = Receiver(BrokerConfig(host="127.0.0.1", port=port), store, client_id="bench-rx")
    rx.start()
    assert rx.connected.wait(10), "receiver did not connect"
    base = rx.counts["stored"]
    chunks = [msgs[i::publishers] for i in range(publishers)]

    # Publishers are separate processes (cars are), so they do not share the receiver's GIL.
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(publishers + 1)
    procs = [ctx.Process(target=publish, args=(port, ch, k, start)) for k, ch in enumerate(chunks)]
    for p in procs:
        p.start()
    start.wait()
    t0 = time.perf_counter()
    for p in procs:
        p.join()
    t_pub = time.perf_counter() - t0
    while rx.counts["stored"] - base < len(msgs) and time.perf_counter() - t0 < 300:
        time.sleep(0.01)
    dt = time.perf_counter() - t0
    stored = rx.counts["stored"] - base
    rx.stop()
    store.close()
    broker.terminate()
    broker.wait(5)
    if stored != len(msgs):
        raise SystemExit(f"only {stored} of {len(msgs)} stored")
    return len(msgs) / dt, len(msgs) / t_pub


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--cars", type=int, default=200)
    ap.add_argument("--publishers", type=int, default=4, help="MQTT publisher connections")
    ap.add_argument("--batch", type=int, default=200, help="events per transaction in the store-only run")
    ap.add_argument("--database-url", default=None, help="default: a SQLite file in a temp folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="anpr-bench-") as tmp:
        work = Path(tmp)
        url = args.database_url or f"sqlite:///{work / 'bench.sqlite'}"
        url2 = args.database_url or f"sqlite:///{work / 'bench2.sqlite'}"
        msgs = payloads(args.events, args.cars)
        store_eps = bench_store(url, msgs, args.batch)
        # fresh ids for the end-to-end run, so nothing is a duplicate of the store-only run
        e2e_eps, pub_eps = bench_e2e(url2, payloads(args.events, args.cars), args.publishers, work)
    result = {
        "database": url.split(":", 1)[0],
        "events": args.events,
        "store_only_events_per_s": round(store_eps),
        "mqtt_end_to_end_events_per_s": round(e2e_eps),
        "publish_rate_events_per_s": round(pub_eps),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
