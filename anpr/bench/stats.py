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


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def rss_mb() -> float:
    """Current resident set size of this process (VmRSS), MB; 0.0 where /proc is not there."""
    kib = _status_kib("VmRSS")
    return 0.0 if kib is None else kib / 1024.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far: VmHWM (ru_maxrss also counts a parent's pages
    from before a fork, e.g. the pytest or bench process that started this one), else ru_maxrss (KiB)."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kib / 1024.0, 1)


def os_threads() -> int:
    """Threads of this process as the kernel counts them (onnxruntime's native pool included)."""
    n = _status_kib("Threads")  # a count, not KiB: the same "Key: value" line
    if n is not None:
        return n
    import threading

    return threading.active_count()


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads)."""
    t = os.times()
    return t.user + t.system


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
