"""Small measuring helpers shared by the benches: percentiles, peak memory, threads, CPU time."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Median and p95 (nearest rank) in the same units, plus the count; empty input gives zeros."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "n": 0}
    s = sorted(values)
    return {
        "p50": round(statistics.median(s), 2),
        "p95": round(s[min(len(s) - 1, int(len(s) * 0.95))], 2),
        "n": len(s),
    }


def time_calls(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    """Milliseconds of each of `runs` calls, after `warmup` untimed ones (first runs allocate)."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def os_threads() -> int:
    """Threads of this process as the kernel counts them (onnxruntime's native pool included)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import threading

    return threading.active_count()


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    t = os.times()
    return t.user + t.system


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
