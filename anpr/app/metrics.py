"""Prometheus metrics of the running daemon (`[metrics] enabled = true`), served on localhost.

Counters and gauges are read at scrape time from a `Status` (`anpr.app.status.collect`), the same one the
status file `anpr status` shows is written from, so the endpoint can never disagree with the console.
Stage and alert latencies are true histograms: `MeteredHealth` observes every timing the pipeline records.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

from anpr.app.health import STAGES, Health
from anpr.app.metrics_config import MetricsConfig
from anpr.app.status_record import CameraCounts, CameraSource, HealthSnapshot, PartError, Status
from anpr.capture.base import SourceStats
from anpr.gps.base import GpsStatus
from anpr.hotlist.base import HotlistStatus
from anpr.uplink.outbox_schema import OutboxStats

log = logging.getLogger(__name__)

StatusProvider = Callable[[], Status]

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)

# (value of a camera's counters, metric name, help, counter?)
_CAMERA_FIELDS: tuple[tuple[Callable[[CameraCounts], float], str, str, bool], ...] = (
    (lambda c: c.frames, "anpr_frames", "frames delivered by the camera to the pipeline", True),
    (lambda c: c.processed, "anpr_frames_processed", "frames run through detect and read", True),
    (lambda c: c.queue_dropped, "anpr_frames_queue_dropped", "frames dropped because inference was busy", True),
    (lambda c: c.detections, "anpr_detections", "plate boxes found", True),
    (lambda c: c.reads, "anpr_reads", "plate boxes read to a valid plate", True),
    (lambda c: c.passages, "anpr_passages", "vehicle passages ended", True),
    (lambda c: c.unread, "anpr_passages_unread", "passages ended without a plate read (no event sent)", True),
    (lambda c: c.hits, "anpr_hits", "hotlist hits raised (counted when raised, not when the passage ends)", True),
    (lambda c: c.fps, "anpr_camera_fps", "processed frames per second (recent)", False),
)
_SOURCE_FIELDS: tuple[tuple[Callable[[SourceStats], float], str, str, bool], ...] = (
    (lambda s: s.dropped, "anpr_frames_source_dropped", "frames a live camera overwrote before the pipeline took them",
     True),
    (lambda s: s.corrupt, "anpr_frames_corrupt", "frames that could not be decoded", True),
    (lambda s: s.reconnects, "anpr_camera_reconnects", "successful camera re-opens after a loss", True),
    (lambda s: float(s.connected), "anpr_camera_connected", "1 while the camera stream is open", False),
)  # fmt: skip


def _num(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def _gauge(name: str, doc: str, value: object, unknown: float | None = None) -> Iterator[GaugeMetricFamily]:
    """One gauge; a value not known (None) is `unknown` (NaN, or 0 where 0 means "none"), so every metric
    docs/deploy.md lists is in every scrape and an absent series never hides a broken part."""
    v = _num(value)
    if v is None:
        v = math.nan if unknown is None else unknown
    yield GaugeMetricFamily(name, doc, value=v)


def _family(name: str, doc: str, counter: bool) -> CounterMetricFamily | GaugeMetricFamily:
    if counter:
        return CounterMetricFamily(name, doc, labels=["camera"])
    return GaugeMetricFamily(name, doc, labels=["camera"])


class StatusCollector(Collector):
    """Turns one `Status` (see `anpr.app.status.collect`) into metric families at each scrape; a part of
    the status that failed is left out, the rest is still scraped."""

    def __init__(self, provider: StatusProvider) -> None:
        self._provider = provider

    def collect(self) -> Iterator[Any]:
        try:
            st = self._provider()
        except Exception as err:  # a scrape must never take the daemon down
            log.warning("metrics: status unavailable: %s", err)
            return
        health = st.health if isinstance(st.health, HealthSnapshot) else None
        yield from self._cameras(health, st.sources if not isinstance(st.sources, PartError) else {})
        if health is not None:
            yield from _gauge("anpr_uptime_seconds", "seconds since the pipeline started", health.uptime_s)
        yield from _gauge("anpr_last_frame_age_seconds", "seconds since any camera gave a frame", st.last_frame_age_s)
        yield CounterMetricFamily("anpr_events", "plate events emitted", value=float(st.events_emitted))
        errors = CounterMetricFamily("anpr_stage_errors", "errors per pipeline stage", labels=["stage"])
        counted = health.errors if health is not None else {}
        for stage in dict.fromkeys((*STAGES, *counted)):  # every stage from 0, so rate() sees the first error
            errors.add_metric([stage], float(counted.get(stage, 0)))
        yield errors
        if st.models:
            yield InfoMetricFamily(
                "anpr_model", "versions of the loaded models", value={k: str(v) for k, v in st.models.items()}
            )
        if isinstance(st.outbox, OutboxStats):
            yield from self._outbox(st.outbox, st.mqtt)
        if isinstance(st.hotlist, HotlistStatus):
            yield from self._hotlist(st.hotlist)
        if isinstance(st.gps, GpsStatus):
            gps = st.gps
            yield from _gauge("anpr_gps_connected", "1 while the position source is connected", gps.connected)
            yield from _gauge("anpr_gps_fix_age_seconds", "age of the newest fix (NaN: none yet)", gps.fix_age_s)

    def _cameras(self, health: HealthSnapshot | None, sources: Mapping[str, CameraSource]) -> Iterator[Any]:
        cams = health.cameras if health is not None else {}
        for get, name, doc, counter in _CAMERA_FIELDS:
            family = _family(name, doc, counter)
            for cam, counts in cams.items():
                family.add_metric([cam], float(get(counts)))
            yield family
        for get_src, name, doc, counter in _SOURCE_FIELDS:
            family = _family(name, doc, counter)
            for cam, source in sources.items():
                family.add_metric([cam], float(get_src(source.stats)))
            yield family

    def _outbox(self, box: OutboxStats, mqtt: Mapping[str, Any] | PartError | None) -> Iterator[Any]:
        pending = GaugeMetricFamily("anpr_outbox_pending", "events waiting for delivery", labels=["kind"])
        pending.add_metric(["hit"], float(box.pending_hits))
        pending.add_metric(["read"], float(box.pending_reads))
        yield pending
        yield from _gauge("anpr_outbox_pending_bytes", "payload bytes waiting", box.pending_bytes)
        yield from _gauge(
            "anpr_outbox_oldest_age_seconds", "age of the oldest undelivered event (0 when none waits)",
            box.oldest_pending_age_s, unknown=0.0,
        )  # fmt: skip
        yield from _gauge("anpr_outbox_in_memory", "events held in memory (disk full)", box.in_memory)
        yield from _gauge("anpr_outbox_disk_full", "1 while the outbox cannot write to disk", box.disk_full)
        yield CounterMetricFamily(
            "anpr_outbox_evicted_reads", "reads evicted to stay within the size bound", value=float(box.evicted_reads)
        )
        if mqtt is not None and not isinstance(mqtt, PartError):
            yield from _gauge("anpr_mqtt_connected", "1 while connected to the broker", mqtt.get("connected"))
            published = _num(mqtt.get("published"))
            if published is not None:
                yield CounterMetricFamily("anpr_mqtt_published", "events acknowledged by the broker", value=published)

    def _hotlist(self, hl: HotlistStatus) -> Iterator[Any]:
        yield from _gauge(
            "anpr_hotlist_version", "version of the applied signed hotlist (0: none applied)", hl.version, unknown=0.0
        )
        yield from _gauge("anpr_hotlist_age_seconds", "age of the applied hotlist since issued (NaN: none)", hl.age_s)
        yield from _gauge("anpr_hotlist_entries", "hotlist entries that can match now", hl.entries)
        yield from _gauge("anpr_hotlist_stale", "1 when the hotlist is older than allowed or missing", hl.stale)


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
