"""`anpr bench outbox`: durable enqueues/s, PUBACKed publishes/s and submit-to-PUBACK latency of hits,
against a loopback mosquitto started here."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from anpr.bench import stats


def bench_outbox(*, enqueue: int, publish: int, hits: int, inflight: int, batch: int) -> dict[str, Any]:
    from anpr.bench.broker import Broker
    from anpr.bench.drill import synthetic_event, wait_drained
    from anpr.uplink.config import UplinkConfig
    from anpr.uplink.mqtt import MqttPublisher
    from anpr.uplink.outbox import Outbox
    from anpr.uplink.sink import UplinkSink
    from anpr.uplink.wire import event_to_json

    res: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
        d = Path(tmp)
        events = (synthetic_event(i, "hit" if i % 10 == 0 else "read", "bench") for i in range(publish))
        payloads = [(ev.event_id, ev.kind, event_to_json(ev)) for ev in events]
        box = Outbox(d / "enq.sqlite")
        t0 = time.perf_counter()
        for eid, kind, body in payloads[:enqueue]:
            box.put(eid, kind, body)
        res["enqueue_per_s"] = round(enqueue / (time.perf_counter() - t0), 1)
        box.close()
        box = Outbox(d / "enq_batch.sqlite")
        t0 = time.perf_counter()
        for k in range(0, publish, batch):
            box.put_many(payloads[k : k + batch])
        res["enqueue_batched_per_s"] = round(publish / (time.perf_counter() - t0), 1)
        res["batch"] = batch
        box.close()
        fd = os.open(d / "probe", os.O_WRONLY | os.O_CREAT)
        t0 = time.perf_counter()
        for _ in range(200):
            os.write(fd, b"x" * 512)
            os.fsync(fd)
        res["disk_fsync_per_s"] = round(200 / (time.perf_counter() - t0), 1)
        os.close(fd)

        broker = Broker(d)
        broker.start()
        try:
            cfg = UplinkConfig(enabled=True, host="127.0.0.1", port=broker.port, inflight_max=inflight, alert_log=False)
            box = Outbox(d / "pub.sqlite")
            for eid, kind, body in payloads:
                box.put(eid, kind, body)
            pub = MqttPublisher(cfg, box, "bench")
            t0 = time.perf_counter()
            sink = UplinkSink(box, pub)
            if not wait_drained(sink, 120):
                raise RuntimeError("publish run did not drain in 120 s")
            res["publish_per_s"] = round(publish / (time.perf_counter() - t0), 1)

            acked: dict[str, float] = {}
            real_ack = box.ack

            def timed_ack(ids: Iterable[str]) -> None:
                now = time.perf_counter()
                for i in ids:
                    acked.setdefault(i, now)
                real_ack(ids)

            box.ack = timed_ack  # type: ignore[method-assign,assignment]  # bench only: stamp each PUBACK
            submitted: dict[str, float] = {}
            for i in range(hits):
                ev = synthetic_event(10_000_000 + i, "hit", "bench")
                submitted[ev.event_id] = time.perf_counter()
                sink.submit(ev)
                time.sleep(0.02)
            wait_drained(sink, 30)
            lat = [(acked[e] - t) * 1000 for e, t in submitted.items() if e in acked]
            res["hit_latency_ms"] = stats.percentiles(lat)
            res["hits_acked"] = len(lat)
            sink.close(2)
        finally:
            broker.stop()
    return res


def format_text(res: dict[str, Any]) -> str:
    lat = res["hit_latency_ms"]
    return "\n".join(
        [
            f"enqueue (one transaction each)   {res['enqueue_per_s']:10.1f} /s",
            f"enqueue (batches of {res['batch']:3d})       {res['enqueue_batched_per_s']:10.1f} /s",
            f"disk fsync                       {res['disk_fsync_per_s']:10.1f} /s",
            f"publish, PUBACKed (QoS 1)        {res['publish_per_s']:10.1f} /s",
            f"hit submit->PUBACK               median {lat['p50']:.1f} ms  p95 {lat['p95']:.1f} ms "
            f"({res['hits_acked']} acked)",
        ]
    )
