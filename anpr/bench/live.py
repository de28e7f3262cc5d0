"""`anpr bench live`: capture-to-alert latency of the real pipeline on a real RTSP stream.

A sample clip is served by GStreamer's RTSP server at its own pace, like a camera; `RtspSource` reads
it (newest frame only, dropping what the pipeline cannot keep up with) into the daemon's stages, with
every plate of the clip's truth on the hotlist so each passage raises a hit. For each hit it records:

- latency: alert time minus the grab time of the frame whose read made the passage's consensus
  confident. This is the figure the car's alert line prints. It covers the frame waiting in the
  mailbox, detection, reading, voting, the hotlist and the alert; it does not cover the camera's
  encoder, the network or FFmpeg's decode before the grab.
- in view: alert time minus the passage's first sighting (how long the plate was seen before the
  consensus was confident enough to alert).

By default the clip's own H.264 stream is served as is (a camera encodes on its own chip); with another
size or frame rate the server transcodes on the same cores as the pipeline, a pessimistic setting.
"""

from __future__ import annotations

import csv
import gc
import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from anpr.app.config import AppConfig
from anpr.bench import stats
from anpr.bench.broker import BenchError
from anpr.bench.rtsp import RtspCamera
from anpr.capture.config import CameraConfig
from anpr.hotlist.config import HotlistConfig
from anpr.types import Frame, PlateEvent
from anpr.uplink.base import AlertSink

FIRST_FRAME_TIMEOUT_S = 20.0
TAIL_S = 2.0  # after the clip's last frame: open passages end at stop and their hits still count


@dataclass
class _Recorder:
    """An `AlertSink` that times each hit, then hands it to the real alert path."""

    inner: AlertSink
    hits: list[dict[str, Any]] = field(default_factory=list)

    def alert(self, event: PlateEvent) -> None:
        self.inner.alert(event)
        now = datetime.now(timezone.utc)
        if event.kind != "hit" or event.match is None:
            return
        # The first alarm per listed plate is the one the car hears; a split passage's later hit is not.
        listed = event.match.entry.plate
        if not any(h["plate"] == listed for h in self.hits):
            self.hits.append(
                {
                    "passage_id": event.passage_id,
                    "plate": listed,
                    "read": event.plate,
                    "kind": event.match.kind,
                    "at_end": event.final,  # never confident in view: alerted when the passage ended
                    "latency_ms": round((now - event.last_seen).total_seconds() * 1000.0, 1),
                    "in_view_ms": round((now - event.first_seen).total_seconds() * 1000.0, 1),
                }
            )


@dataclass(frozen=True)
class Truth:
    """What the benches need of a clip's `.truth.json`: its plates, length and stream format."""

    plates: list[str]
    duration_s: float
    width: int
    height: int
    fps: int


def read_truth(video: Path) -> Truth:
    sidecar = video.with_suffix(".truth.json")
    try:
        doc = json.loads(sidecar.read_text())
        fps = int(doc["fps"])
        plates = [p["text"] for p in doc["plates"]]
        return Truth(plates, int(doc["frame_count"]) / fps, int(doc["width"]), int(doc["height"]), fps)
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as err:
        raise BenchError(f"{sidecar}: cannot read the clip's truth ({err})") from err


def rtsp_config(
    cfg: AppConfig, url: str, workdir: Path, plates: list[str], **camera: float
) -> tuple[AppConfig, CameraConfig]:
    """`cfg` with one RTSP camera on `url` (plus `camera` settings) and a fresh hotlist in `workdir` that
    lists every truth plate, so each passage is a hit."""
    with (workdir / "hotlist.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["plate", "list_name", "reason", "priority", "source", "note", "covert"])
        for plate in plates:
            w.writerow([plate, "bench", "bench", 1, "anpr bench", "every truth plate alerts", "false"])
    cam = cfg.cameras[0].model_copy(update={"kind": "rtsp", "uri": url, **camera})
    # The bench's list is that CSV alone: a device config's signed-list sources and trusted keys (paths that
    # exist on the device: `-c /etc/anpr/anpr.toml` copied to a laptop) would stop the run or fetch a real list.
    hotlist = HotlistConfig(
        csv=str(workdir / "hotlist.csv"), db=str(workdir / "hotlist.sqlite"), fuzzy=cfg.hotlist.fuzzy
    )
    return cfg.model_copy(update={"cameras": (cam,), "hotlist": hotlist, "state_dir": str(workdir)}), cam


def _one_run(
    cfg: AppConfig, video: Path, truth: Truth, workdir: Path, size: tuple[int, int], fps: int, passthrough: bool
) -> dict[str, Any]:
    from anpr.app.build import build_pipeline
    from anpr.uplink import LocalAlerts

    cam = RtspCamera(video, workdir / "rtsp.log", width=size[0], height=size[1], fps=fps, passthrough=passthrough)
    try:
        run_cfg, _ = rtsp_config(cfg, cam.url, workdir, truth.plates, open_timeout_s=5.0, read_timeout_s=5.0)
        finals: list[PlateEvent] = []
        recorder = _Recorder(LocalAlerts(run_cfg.uplink))
        pipeline = build_pipeline(run_cfg, on_event=lambda e: finals.append(e) if e.final else None, alerts=recorder)
        source = pipeline.sources[0]
        stop = threading.Event()
        first: list[float] = []
        processed = 0

        def on_frame(_frame: Frame) -> None:
            nonlocal processed
            processed += 1
            if not first:
                first.append(time.monotonic())

        worker = threading.Thread(target=pipeline.run, args=(stop,), kwargs={"on_frame": on_frame}, daemon=True)
        started = time.monotonic()
        worker.start()
        while not first and time.monotonic() - started < FIRST_FRAME_TIMEOUT_S and worker.is_alive():
            time.sleep(0.05)
        # The clip ends when the server closes the stream; stop before the source reconnects and replays it.
        while first and time.monotonic() < first[0] + truth.duration_s + TAIL_S and source.stats().connected:
            time.sleep(0.02)
        stop.set()
        worker.join(30.0)
        if not first:
            raise BenchError(f"no frame from {cam.url} in {FIRST_FRAME_TIMEOUT_S:.0f} s; server log {cam.log_path}")
        src = source.stats()
        wall = time.monotonic() - first[0]
        snap = pipeline.health.snapshot()
    finally:
        cam.stop()
    return {
        "hits": recorder.hits,
        "passages": [e.plate for e in finals],
        "expected": truth.plates,
        "grabbed": src.grabbed,
        "dropped": src.dropped + snap.camera().queue_dropped,
        # Where: overwritten in the source's one-slot mailbox (capture's consumer was late), or left behind in
        # the hand-off to the worker (anpr/app/framequeue.py: the worker was behind by live_queue_frames or
        # live_max_wait_ms).
        "dropped_at_source": src.dropped,
        "dropped_in_queue": snap.camera().queue_dropped,
        "processed": processed,
        "wall_s": round(wall, 2),
        "stage_ms": snap.to_dict()["stage_ms"],
    }


def bench_live(
    cfg: AppConfig, video: Path, *, runs: int = 3, size: tuple[int, int] | None = None, fps: int | None = None
) -> dict[str, Any]:
    """Serve `video` over RTSP `runs` times and return the latency figures (stable keys).

    With no `size` or `fps` the clip's own H.264 is served as is; otherwise the server transcodes it on
    this machine, on the cores the pipeline needs (a pessimistic figure, said in the output)."""
    passthrough = size is None and fps is None
    truth = read_truth(video)
    width, height = size or (truth.width, truth.height)
    fps = fps or truth.fps
    per_run = []
    with tempfile.TemporaryDirectory(prefix="anpr-bench-live-") as tmp:
        for i in range(runs):
            workdir = Path(tmp) / f"run{i}"
            workdir.mkdir()
            per_run.append(_one_run(cfg, video, truth, workdir, (width, height), fps, passthrough))
            gc.collect()  # the run's models and decoder go before the next run loads its own
    hits = [h for r in per_run for h in r["hits"]]
    expected = sum(len(r["expected"]) for r in per_run)
    grabbed = sum(r["grabbed"] for r in per_run)
    dropped = sum(r["dropped"] for r in per_run)
    processed = sum(r["processed"] for r in per_run)
    wall = sum(r["wall_s"] for r in per_run)
    lat = [h["latency_ms"] for h in hits]
    found = [sum(1 for p in r["passages"] if p == plate) for r in per_run for plate in r["expected"]]
    return {
        "video": str(video),
        "stream": {
            "width": width,
            "height": height,
            "fps": fps,
            "codec": "h264",
            "transport": "rtsp/tcp",
            "served": "as recorded" if passthrough else "transcoded on this machine",
        },
        "runs": runs,
        "hits": len(hits),
        "expected_hits": expected,
        "fuzzy_hits": sum(1 for h in hits if h["kind"] != "exact"),
        "hits_at_passage_end": sum(1 for h in hits if h["at_end"]),
        "split_passages": sum(max(0, n - 1) for n in found),
        "latency_ms": {**stats.percentiles(lat), "max": max(lat, default=0.0)},
        "in_view_ms": stats.percentiles([h["in_view_ms"] for h in hits]),
        "frames": {
            "grabbed": grabbed,
            "dropped": dropped,
            "dropped_at_source": sum(r["dropped_at_source"] for r in per_run),
            "dropped_in_queue": sum(r["dropped_in_queue"] for r in per_run),
            "processed": processed,
        },
        "processed_fps": round(processed / wall, 2) if wall else 0.0,
        "peak_rss_mb": stats.peak_rss_mb(),
        "cpu_cores": stats.cores(),
        "per_run": [
            {
                "hits": {h["plate"]: [h["read"], h["kind"], h["latency_ms"]] for h in r["hits"]},
                "dropped": r["dropped"],
                "plates": r["passages"],
            }
            for r in per_run
        ],
    }


def format_text(r: dict[str, Any]) -> str:
    s, lat, view, fr = r["stream"], r["latency_ms"], r["in_view_ms"], r["frames"]
    return "\n".join(
        [
            f"{r['video']} over RTSP ({s['width']}x{s['height']} {s['fps']} fps {s['codec']}, {s['transport']}, "
            f"{s['served']}), "
            f"{r['runs']} run(s) on {r['cpu_cores']} cores",
            f"  hits {r['hits']} of {r['expected_hits']} truth passages (first alarm per listed plate; "
            f"{r['fuzzy_hits']} fuzzy; {r['hits_at_passage_end']} only when the passage ended; "
            f"{r['split_passages']} passage(s) split by the tracker)",
            f"  capture-to-alert: median {lat['p50']:.0f} ms, p95 {lat['p95']:.0f} ms, max {lat['max']:.0f} ms "
            f"(n={lat['n']})",
            f"  plate in view before alert: median {view['p50']:.0f} ms, p95 {view['p95']:.0f} ms",
            f"  frames grabbed {fr['grabbed']}, dropped {fr['dropped']} ({fr['dropped_at_source']} at the source: "
            f"capture was late; {fr['dropped_in_queue']} in the hand-off: the worker was behind), processed "
            f"{fr['processed']} = {r['processed_fps']:.1f} fps; peak RSS {r['peak_rss_mb']:.0f} MB",
        ]
    )
