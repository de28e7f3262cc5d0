"""`anpr bench drills --runs N`: the uplink fault drills in a loop, counting what was promised, what
arrived, what was lost and what came twice (at-least-once: duplicates are allowed, losses are not).

Drill `restart`: the broker is restarted in the middle of a burst from an in-process uplink.
Drill `kill9`: the drill process (`python -m anpr.bench.drill`) is killed with SIGKILL mid-burst and
started again to drain its outbox; the one event being committed at the kill may arrive without having
been promised (its ID line was not printed yet), which is counted as `unpromised`, not as a loss.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _wait(pred: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def _restart_drill(folder: Path, n: int) -> dict[str, int]:
    from anpr.bench.broker import Broker, Collector
    from anpr.bench.drill import synthetic_event
    from anpr.uplink.config import UplinkConfig
    from anpr.uplink.sink import UplinkSink, build_uplink

    broker = Broker(folder)
    broker.start()
    sub = Collector(broker.port)
    cfg = UplinkConfig(
        enabled=True, host="127.0.0.1", port=broker.port, reconnect_min_s=1, reconnect_max_s=1,
        alert_log=False, inflight_max=64,
    )  # fmt: skip
    sink = build_uplink(cfg, "drill", folder / "state", None)
    assert isinstance(sink, UplinkSink)
    promised: set[str] = set()
    try:
        for i in range(n):
            ev = synthetic_event(i, "hit" if i % 10 == 0 else "read", "drill")
            sink.submit(ev)
            promised.add(ev.event_id)
            if i == n // 2:
                broker.restart(down_s=1.0)
            if i % 5 == 0:
                time.sleep(0.01)
        _wait(lambda: sub.ids() >= promised, 30)
        got = sub.ids()
        return {"promised": len(promised), "delivered": len(got & promised), "lost": len(promised - got),
                "duplicates": sub.duplicates(), "unpromised": len(got - promised)}  # fmt: skip
    finally:
        sink.close(2)
        sub.close()
        broker.stop()


def _drill_proc(port: int, state: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "anpr.bench.drill", "--port", str(port), "--state", str(state), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _kill9_drill(folder: Path, n: int) -> dict[str, int]:
    from anpr.bench.broker import Broker, Collector

    broker = Broker(folder)
    broker.start()
    sub = Collector(broker.port)
    state = folder / "state"
    promised: set[str] = set()
    try:
        proc = _drill_proc(broker.port, state, "--count", str(n), "--rate", "400", "--drain-timeout", "30")
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("ID "):
                promised.add(line.split()[1])
            if len(promised) == n // 2:
                os.kill(proc.pid, 9)
                break
        rest, _ = proc.communicate(timeout=10)
        promised |= {ln.split()[1] for ln in rest.splitlines() if ln.startswith("ID ")}
        again = _drill_proc(broker.port, state, "--count", "0", "--drain-timeout", "30")
        again.communicate(timeout=40)
        _wait(lambda: sub.ids() >= promised, 20)
        got = sub.ids()
        return {"promised": len(promised), "delivered": len(got & promised), "lost": len(promised - got),
                "duplicates": sub.duplicates(), "unpromised": len(got - promised)}  # fmt: skip
    finally:
        sub.close()
        broker.stop()


DRILLS: dict[str, Callable[[Path, int], dict[str, int]]] = {"restart": _restart_drill, "kill9": _kill9_drill}


def bench_drills(runs: int, events: int) -> dict[str, Any]:
    """Each drill `runs` times; totals per drill and the number of runs that lost anything."""
    out: dict[str, Any] = {}
    for name, drill in DRILLS.items():
        totals = {"runs": 0, "failed_runs": 0, "promised": 0, "delivered": 0, "lost": 0, "duplicates": 0,
                  "unpromised": 0, "seconds": 0.0}  # fmt: skip
        for _ in range(runs):
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix=f"bench-drill-{name}-") as tmp:
                r = drill(Path(tmp), events)
            totals["runs"] += 1
            totals["failed_runs"] += int(r["lost"] > 0)
            for k, v in r.items():
                totals[k] += v
            totals["seconds"] = round(totals["seconds"] + time.perf_counter() - t0, 2)
        out[name] = totals
    return out


def format_text(res: dict[str, Any]) -> str:
    lines = [f"{'drill':8} {'runs':>5} {'lost runs':>9} {'promised':>9} {'delivered':>9} {'lost':>5} {'dups':>5}"]
    for name, t in res.items():
        lines.append(
            f"{name:8} {t['runs']:5d} {t['failed_runs']:9d} {t['promised']:9d} {t['delivered']:9d} "
            f"{t['lost']:5d} {t['duplicates']:5d}   ({t['seconds']:.1f} s)"
        )
    return "\n".join(lines)
