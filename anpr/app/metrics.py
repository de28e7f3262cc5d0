"""Prometheus metrics of the running daemon (`[metrics] enabled = true`), served on localhost.

Counters and gauges are read at scrape time from the same status dict `anpr status` shows
(`anpr.app.status.collect`), so the endpoint can never disagree with the console. Stage and alert latencies
are true histograms: `MeteredHealth` observes every timing the pipeline records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from anpr.app.health import Health
from anpr.app.metrics_config import MetricsConfig

log = logging.getLogger(__name__)

StatusProvider = Callable[[], dict[str, Any]]

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)

# health.snapshot()["cameras"][id] key -> (metric name, help, counter?)
_CAMERA_FIELDS = (
    ("frames", "anpr_frames", "frames delivered by the camera to the pipeline", True),
    ("processed", "anpr_frames_processed", "frames run through detect and read", True),
    ("queue_dropped", "anpr_frames_queue_dropped", "frames dropped because inference was busy", True),
    ("detections", "anpr_detections", "plate boxes found", True),
    ("reads", "anpr_reads", "plate boxes read to a valid plate", True),
    ("passages", "anpr_passages", "vehicle passages ended", True),
    ("hits", "anpr_hits", "passages that matched the hotlist", True),
    ("fps", "anpr_camera_fps", "processed frames per second (recent)", False),
)
_SOURCE_FIELDS = (
    ("dropped", "anpr_frames_source_dropped", "frames a live camera overwrote before the pipeline took them", True),
    ("corrupt", "anpr_frames_corrupt", "frames that could not be decoded", True),
    ("reconnects", "anpr_camera_reconnects", "successful camera re-opens after a loss", True),
    ("connected", "anpr_camera_connected", "1 while the camera stream is open", False),
)


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def _gauge(name: str, doc: str, value: Any) -> Iterator[GaugeMetricFamily]:
    v = _num(value)
    if v is not None:
        yield GaugeMetricFamily(name, doc, value=v)


class StatusCollector(Collector):
    """Turns one status dict (see `anpr.app.status.collect`) into metric families at each scrape."""

    def __init__(self, provider: StatusProvider) -> None:
        self._provider = provider

    def collect(self) -> Iterator[Any]:
        try:
            st = self._provider()
        except Exception as err:  # a scrape must never take the daemon down
            log.warning("metrics: status unavailable: %s", err)
            return
        yield from self._cameras(st)
        health = st.get("health") or {}
        yield from _gauge("anpr_uptime_seconds", "seconds since the pipeline started", health.get("uptime_s"))
        yield from _gauge(
            "anpr_last_frame_age_seconds", "seconds since any camera gave a frame", st.get("last_frame_age_s")
        )
        yield from _gauge("anpr_events", "plate events emitted", st.get("events_emitted"))
        errors = CounterMetricFamily("anpr_stage_errors", "errors per pipeline stage", labels=["stage"])
        for stage, n in (health.get("errors") or {}).items():
            errors.add_metric([stage], float(n))
        yield errors
        models = st.get("models") or {}
        if models:
            yield InfoMetricFamily(
                "anpr_model", "versions of the loaded models", value={k: str(v) for k, v in models.items()}
            )
        yield from self._outbox(st.get("outbox"), st.get("mqtt"))
        yield from self._hotlist(st.get("hotlist"))
        gps = st.get("gps") or {}
        yield from _gauge("anpr_gps_connected", "1 while the position source is connected", gps.get("connected"))
        yield from _gauge("anpr_gps_fix_age_seconds", "age of the newest position fix", gps.get("fix_age_s"))

    def _cameras(self, st: dict[str, Any]) -> Iterator[Any]:
        cams = (st.get("health") or {}).get("cameras") or {}
        sources = st.get("sources") or {}
        for fields, table in ((_CAMERA_FIELDS, cams), (_SOURCE_FIELDS, sources)):
            for key, name, doc, is_counter in fields:
                family: Any = (
                    CounterMetricFamily(name, doc, labels=["camera"])
                    if is_counter
                    else GaugeMetricFamily(name, doc, labels=["camera"])
                )
                for cam, values in table.items():
                    v = _num(values.get(key)) if isinstance(values, dict) else None
                    if v is not None:
                        family.add_metric([cam], v)
                yield family

    def _outbox(self, box: Any, mqtt: Any) -> Iterator[Any]:
        if not isinstance(box, dict) or "error" in box:
            return
        pending = GaugeMetricFamily("anpr_outbox_pending", "events waiting for delivery", labels=["kind"])
        pending.add_metric(["hit"], float(box.get("pending_hits", 0)))
        pending.add_metric(["read"], float(box.get("pending_reads", 0)))
        yield pending
        yield from _gauge("anpr_outbox_pending_bytes", "payload bytes waiting", box.get("pending_bytes"))
        yield from _gauge(
            "anpr_outbox_oldest_age_seconds", "age of the oldest undelivered event", box.get("oldest_pending_age_s")
        )
        yield from _gauge("anpr_outbox_in_memory", "events held in memory (disk full)", box.get("in_memory"))
        yield from _gauge("anpr_outbox_disk_full", "1 while the outbox cannot write to disk", box.get("disk_full"))
        evicted = _num(box.get("evicted_reads"))
        if evicted is not None:
            yield CounterMetricFamily(
                "anpr_outbox_evicted_reads", "reads evicted to stay within the size bound", value=evicted
            )
        if isinstance(mqtt, dict) and "error" not in mqtt:
            yield from _gauge("anpr_mqtt_connected", "1 while connected to the broker", mqtt.get("connected"))
            published = _num(mqtt.get("published"))
            if published is not None:
                yield CounterMetricFamily("anpr_mqtt_published", "events acknowledged by the broker", value=published)

    def _hotlist(self, hl: Any) -> Iterator[Any]:
        if not isinstance(hl, dict) or "error" in hl:
            return
        yield from _gauge("anpr_hotlist_version", "version of the applied signed hotlist", hl.get("version"))
        yield from _gauge("anpr_hotlist_age_seconds", "age of the applied hotlist (since issued)", hl.get("age_s"))
        yield from _gauge("anpr_hotlist_entries", "hotlist entries that can match now", hl.get("entries"))
        yield from _gauge("anpr_hotlist_stale", "1 when the hotlist is older than allowed or missing", hl.get("stale"))


class MeteredHealth(Health):
    """`Health` that also feeds Prometheus histograms with every stage and alert timing."""

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self._stage_hist = Histogram(
            "anpr_stage_latency_seconds", "time per call of a pipeline stage", ["stage"],
            buckets=_LATENCY_BUCKETS, registry=registry,
        )  # fmt: skip
        self._alert_hist = Histogram(
            "anpr_alert_latency_seconds",
            "frame queued to hit alert raised",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )

    def stage_time(self, stage: str, ms: float) -> None:
        super().stage_time(stage, ms)
        self._stage_hist.labels(stage).observe(ms / 1000.0)

    def alert_latency(self, ms: float) -> None:
        super().alert_latency(ms)
        self._alert_hist.observe(ms / 1000.0)


class MetricsServer:
    """The HTTP endpoint; `close()` stops it. Binds at construction so a busy port fails at start."""

    def __init__(self, cfg: MetricsConfig, registry: CollectorRegistry) -> None:
        self.cfg = cfg
        self._server, self._thread = start_http_server(cfg.port, addr=cfg.listen, registry=registry)
        log.info("metrics on http://%s:%d/metrics", cfg.listen, cfg.port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2.0)


def build_registry(provider: StatusProvider) -> CollectorRegistry:
    """A private registry (not the global one): the status collector plus the process's CPU and memory."""
    registry = CollectorRegistry()
    registry.register(StatusCollector(provider))
    ProcessCollector(registry=registry)
    return registry


def serve(cfg: MetricsConfig, registry: CollectorRegistry) -> MetricsServer | None:
    """Start the endpoint; a port in use is logged and the daemon runs on without metrics."""
    try:
        return MetricsServer(cfg, registry)
    except OSError as err:
        log.error("metrics endpoint %s:%d cannot start: %s; running without it", cfg.listen, cfg.port, err)
        return None
