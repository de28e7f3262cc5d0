"""`anpr bench soak`: the daemon's stages on a sample clip over RTSP for a long while; memory over time.

The gantry runs for months, so what matters is that nothing grows: the RTSP server plays the clip once
per connection and the source reconnects when it ends, so the clip loops for as long as asked. Every
truth plate is on the hotlist (hits, alerts and their de-duplication run too). Resident memory is sampled
every `every_s`; the slope is fitted over the second half, after the allocator has warmed up.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from anpr.app.config import AppConfig
from anpr.bench.live import read_truth, rtsp_config
from anpr.bench.rtsp import RtspCamera
from anpr.bench.stats import rss_mb
from anpr.types import PlateEvent


def bench_soak(cfg: AppConfig, video: Path, *, seconds: float, every_s: float = 10.0) -> dict[str, Any]:
    """Loop `video` over RTSP for `seconds`; return passages, hits, frames and the memory trend."""
    from anpr.app.build import build_pipeline
    from anpr.uplink import LocalAlerts

    truth = read_truth(video)
    with tempfile.TemporaryDirectory(prefix="anpr-bench-soak-") as tmp:
        workdir = Path(tmp)
        cam = RtspCamera(
            video, workdir / "rtsp.log", width=truth.width, height=truth.height, fps=truth.fps, passthrough=True
        )
        try:
            # a short back-off: the clip ends every play and the source reconnects for the next
            run_cfg, _ = rtsp_config(cfg, cam.url, workdir, truth.plates, backoff_initial_s=0.2, backoff_max_s=1.0)
            finals: list[str] = []

            def on_event(e: PlateEvent) -> None:
                if e.final:
                    finals.append(e.kind)

            alerts = LocalAlerts(run_cfg.uplink, log_line=False)
            pipeline = build_pipeline(run_cfg, on_event=on_event, alerts=alerts)
            source = pipeline.sources[0]
            stop = threading.Event()
            worker = threading.Thread(target=pipeline.run, args=(stop,), daemon=True)
            t0 = time.monotonic()
            worker.start()
            samples: list[tuple[float, float]] = []
            while (elapsed := time.monotonic() - t0) < seconds:
                samples.append((elapsed, rss_mb()))
                time.sleep(min(every_s, max(0.0, seconds - elapsed)))
            samples.append((time.monotonic() - t0, rss_mb()))
            stop.set()
            worker.join(30.0)
            src = source.stats()
            processed = pipeline.health.snapshot().camera().processed
        finally:
            cam.stop()
    half = [(t, m) for t, m in samples if t >= seconds / 2] or samples
    slope = float(np.polyfit([t for t, _ in half], [m for _, m in half], 1)[0]) * 3600.0 if len(half) > 1 else 0.0
    mem = [m for _, m in samples]
    return {
        "video": str(video),
        "seconds": round(samples[-1][0], 1),
        "clip_loops": src.reconnects + 1,
        "frames": {"grabbed": src.grabbed, "processed": processed},
        "passages": len(finals),
        "hits": sum(1 for k in finals if k == "hit"),
        "rss_mb": {"start": round(mem[0], 1), "end": round(mem[-1], 1), "max": round(max(mem), 1)},
        "rss_slope_mb_per_h": round(slope, 2),
        "samples": [[round(t, 1), round(m, 1)] for t, m in samples],
    }


def format_text(r: dict[str, Any]) -> str:
    m = r["rss_mb"]
    return "\n".join(
        [
            f"{r['video']} looped over RTSP for {r['seconds']:.0f} s ({r['clip_loops']} plays): "
            f"{r['frames']['processed']} of {r['frames']['grabbed']} frames processed, {r['passages']} passages, "
            f"{r['hits']} hits",
            f"  RSS start {m['start']:.0f} MB, end {m['end']:.0f} MB, max {m['max']:.0f} MB; "
            f"trend over the second half {r['rss_slope_mb_per_h']:+.1f} MB/h",
        ]
    )
