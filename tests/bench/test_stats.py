from __future__ import annotations

from anpr.bench import stats


def test_percentiles_nearest_rank() -> None:
    p = stats.percentiles([float(v) for v in range(1, 101)])
    assert p == {"p50": 50.5, "p95": 96.0, "n": 100}
    assert stats.percentiles([]) == {"p50": 0.0, "p95": 0.0, "n": 0}


def test_process_figures_are_positive() -> None:
    assert stats.peak_rss_mb() > 10 and stats.os_threads() >= 1 and stats.cores() >= 1
    assert stats.cpu_seconds() > 0
    assert len(stats.time_calls(lambda: None, runs=4, warmup=1)) == 4
