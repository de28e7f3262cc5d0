"""`anpr bench control`: events per second the control room stores, the store alone and through a real
mosquitto + receiver (`--database-url postgresql://...` for PostgreSQL; default a SQLite file in a temp folder).

Every 10th event is a hit with a 6 kB crop; reads carry a fix and no crop (the car's defaults). The
end-to-end figure runs from the first publish to the last event committed (receiver acks after commit).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from anpr.bench.broker import BenchError
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
    if not all(isinstance(r, EventRow) for r in rows):
        raise BenchError("a generated event failed the control room's own validation")
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


def _publish_all(
    port: int, msgs: list[tuple[str, bytes]], publishers: int, stored: Callable[[], int]
) -> tuple[float, float]:
    """Seconds to publish every message, and until `stored()` counts them all (at most 300 s)."""
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
    while stored() < len(msgs) and time.perf_counter() - t0 < 300:
        time.sleep(0.01)
    return t_pub, time.perf_counter() - t0


def bench_e2e(url: str, msgs: list[tuple[str, bytes]], publishers: int, workdir: Path) -> tuple[float, float]:
    exe = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else "")
    if not exe:
        raise BenchError("mosquitto is not installed (Debian package: mosquitto)")
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    broker = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        store = open_store(url)
        rx = Receiver(BrokerConfig(host="127.0.0.1", port=port), store, client_id="bench-rx")
        rx.start()
        try:
            if not rx.connected.wait(10):
                raise BenchError(f"the receiver did not connect to mosquitto on port {port}")
            base = rx.counts["stored"]
            t_pub, dt = _publish_all(port, msgs, publishers, lambda: rx.counts["stored"] - base)
            stored = rx.counts["stored"] - base
        finally:
            rx.stop()
            store.close()
    finally:
        broker.terminate()
        broker.wait(5)
    if stored != len(msgs):
        raise BenchError(f"only {stored} of {len(msgs)} events stored within 300 s")
    return len(msgs) / dt, len(msgs) / t_pub


def bench_control(events: int, cars: int, publishers: int, batch: int, database_url: str | None) -> dict[str, Any]:
    """Store-only and end-to-end events per second (one JSON-able dict with stable keys)."""
    with tempfile.TemporaryDirectory(prefix="anpr-bench-") as tmp:
        work = Path(tmp)
        url = database_url or f"sqlite:///{work / 'bench.sqlite'}"
        url2 = database_url or f"sqlite:///{work / 'bench2.sqlite'}"
        store_eps = bench_store(url, payloads(events, cars), batch)
        # fresh ids for the end-to-end run, so nothing is a duplicate of the store-only run
        e2e_eps, pub_eps = bench_e2e(url2, payloads(events, cars), publishers, work)
    return {
        "database": url.split(":", 1)[0],
        "events": events,
        "store_only_events_per_s": round(store_eps),
        "mqtt_end_to_end_events_per_s": round(e2e_eps),
        "publish_rate_events_per_s": round(pub_eps),
        "cpus": os.cpu_count(),
    }
