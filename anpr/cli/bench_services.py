"""`anpr bench hotlist|outbox|drills|control|wheels`: the benches of the parts that keep state or talk to a
broker (no model, no video), and the release check that the devices install from wheels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from anpr.cli.common import emit


def add(bsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add these benches to `anpr bench` (its `--json` is added to every bench by the group)."""
    q = bsub.add_parser("hotlist", help="hotlist import, lookup and delta figures on a synthetic list")
    q.add_argument("--size", type=int, default=100_000, help="entries in the synthetic list")
    q.set_defaults(func=_hotlist)

    q = bsub.add_parser("outbox", help="outbox enqueue and MQTT publish rates against a loopback mosquitto")
    q.add_argument("--enqueue", type=int, default=3000)
    q.add_argument("--publish", type=int, default=5000)
    q.add_argument("--hits", type=int, default=200)
    q.add_argument("--inflight", type=int, default=32)
    q.add_argument("--batch", type=int, default=20, help="events per transaction in the batched enqueue run")
    q.set_defaults(func=_outbox)

    q = bsub.add_parser("drills", help="uplink fault drills in a loop: broker restart and kill -9, counted")
    q.add_argument("--runs", type=int, default=3)
    q.add_argument("--events", type=int, default=200, help="events per drill run")
    q.set_defaults(func=_drills)

    q = bsub.add_parser("control", help="control room: events/s stored, alone and through mosquitto + receiver")
    q.add_argument("--events", type=int, default=20000)
    q.add_argument("--cars", type=int, default=200)
    q.add_argument("--publishers", type=int, default=4, help="MQTT publisher processes")
    q.add_argument("--batch", type=int, default=200, help="events per transaction in the store-only run")
    q.add_argument("--database-url", default=None, help="default: a SQLite file in a temp folder")
    q.set_defaults(func=_control)

    q = bsub.add_parser("wheels", help="release check: every runtime requirement has an aarch64 wheel (downloads)")
    q.add_argument("--python", action="append", help="CPython version(s) to check (default: 3.11 and 3.10)")
    q.add_argument("--keep", type=Path, help="download into this folder and keep the wheels (default: a temp folder)")
    q.add_argument("--pyproject", type=Path, help="read the requirements here (default: the installed anpr's)")
    q.add_argument(
        "--constraints",
        type=Path,
        help="the versions install.sh pins (default: constraints.txt in the current folder, when there is one)",
    )
    q.add_argument(
        "--strict",
        dest="allow_pure_sdist",
        action="store_false",
        help="count only wheels from the index (default: an sdist that builds a py3-none-any wheel also counts)",
    )
    q.set_defaults(func=_wheels)


def _hotlist(args: argparse.Namespace) -> int:
    from anpr.bench.hotlist import run_bench

    res = run_bench(args.size)
    return emit(args, res, "\n".join(f"{k:24} {v}" for k, v in res.items()))


def _outbox(args: argparse.Namespace) -> int:
    from anpr.bench.broker import BenchError
    from anpr.bench.outbox import bench_outbox, format_text

    try:
        res = bench_outbox(
            enqueue=args.enqueue, publish=args.publish, hits=args.hits, inflight=args.inflight, batch=args.batch
        )
    except (BenchError, RuntimeError) as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))


def _drills(args: argparse.Namespace) -> int:
    from anpr.bench.broker import BenchError
    from anpr.bench.drills import bench_drills, format_text

    try:
        res = bench_drills(args.runs, args.events)
    except BenchError as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, format_text(res))


def _control(args: argparse.Namespace) -> int:
    from anpr.bench.broker import BenchError
    from anpr.bench.control import bench_control

    try:
        res = bench_control(args.events, args.cars, args.publishers, args.batch, args.database_url)
    except (BenchError, OSError) as err:
        print(f"anpr bench: {err}", file=sys.stderr)
        return 2
    return emit(args, res, "\n".join(f"{k:30} {v}" for k, v in res.items()))


def _wheels(args: argparse.Namespace) -> int:
    try:
        from anpr.bench.wheels import DEFAULT_PYTHONS, check_wheels
    except ImportError as err:
        print(f"anpr bench: {err}; install the [dev] extra (packaging)", file=sys.stderr)
        return 2
    pythons = args.python or list(DEFAULT_PYTHONS)
    out = sys.stderr if args.json else sys.stdout  # --json: the one object alone on stdout
    constraints = args.constraints
    if constraints is None and Path("constraints.txt").is_file():
        constraints = Path("constraints.txt")
    if constraints is not None and not constraints.is_file():
        print(f"anpr bench: --constraints {constraints}: no such file", file=sys.stderr)
        return 2
    missing = check_wheels(pythons, args.keep, args.allow_pure_sdist, args.pyproject, out, constraints)
    text = ("no aarch64 wheel for:\n  " + "\n  ".join(missing)) if missing else (
        f"every runtime requirement has an aarch64 wheel for CPython {', '.join(pythons)}"
    )  # fmt: skip
    emit(args, {"pythons": pythons, "missing": missing}, text)
    return 1 if missing else 0
