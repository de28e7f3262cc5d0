"""`anpr queue status|drain|export|purge`: the outbox, for operators. Heavy imports stay in handlers."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from anpr.cli.common import CommandError, add_config, add_json, add_output, load_config, print_json

NO_OUTBOX = 3
"""`anpr queue status` exit status when there is no outbox yet (distinct from 2, a bad config)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    q = sub.add_parser("queue", help="inspect and operate the store-and-forward outbox")
    add_config(q)  # before or after the action: `anpr queue -c X status` or `anpr queue status -c X`
    qs = q.add_subparsers(dest="queue_command", metavar="ACTION", required=True)
    st = qs.add_parser(
        "status",
        help="pending hits/reads, oldest age, bytes, evictions",
        description="Show the outbox as stored on disk. Read-only: never creates the outbox or its folder.",
        epilog=f"Exit status: 0 shown; 2 bad config or unreadable outbox; {NO_OUTBOX} no outbox yet "
        "(nothing queued on this device; nothing is created).",
    )
    add_json(st)
    st.set_defaults(func=_status)
    dr = qs.add_parser("drain", help="publish what is pending to the configured broker, then exit")
    dr.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds")
    add_json(dr)
    dr.set_defaults(func=_drain)
    ex = qs.add_parser("export", help="write events as JSON lines (one payload per line)")
    ex.add_argument("--pending", action="store_true", help="only undelivered events")
    ex.add_argument("--audit", action="store_true", help="export the audit trail instead of events")
    add_output(ex, "file to write (default: stdout)", default="-")
    ex.set_defaults(func=_export)
    pu = qs.add_parser("purge", help="apply the retention rules now")
    pu.set_defaults(func=_purge)


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    """The config and its outbox; a CommandError (exit 2) when either cannot be opened."""
    from anpr.uplink.sink import open_outbox

    app = load_config(args)
    try:
        return app, open_outbox(app.uplink, app.state_dir)
    except Exception as err:  # sqlite3.Error, OSError: a clear line, not a traceback
        raise CommandError(f"cannot open the outbox in {app.state_dir}: {err}") from None


def _status(args: argparse.Namespace) -> int:
    """Read-only (SQLite `mode=ro`): a status command must not create the state it reports on."""
    import sqlite3
    from dataclasses import asdict

    from anpr.uplink.outbox_read import NoOutbox, read_stats
    from anpr.uplink.sink import disk_reserve, outbox_path

    app = load_config(args)
    path = outbox_path(app.uplink, app.state_dir)
    try:
        st = asdict(read_stats(path, disk_reserve(app.uplink, app.state_dir)))
    except NoOutbox:
        raise CommandError(f"no outbox at {path}: nothing queued yet", NO_OUTBOX) from None
    except (sqlite3.Error, OSError) as err:
        raise CommandError(f"cannot read the outbox {path}: {err}") from None
    st["path"] = str(path)
    if args.json:
        print_json(st)
    else:
        for k, v in st.items():
            print(f"{k:22} {v}")
    return 0


def _drain(args: argparse.Namespace) -> int:
    from anpr.bench.drill import wait_drained
    from anpr.uplink.mqtt import MqttPublisher, PublisherError
    from anpr.uplink.sink import UplinkSink

    app, box = _open(args)
    if not app.uplink.enabled:
        print("uplink.enabled is false in this config: nowhere to drain to", file=sys.stderr)
        box.close()
        return 2
    try:
        pub = MqttPublisher(app.uplink, box, app.device_id)
    except PublisherError as exc:
        print(exc, file=sys.stderr)
        box.close()
        return 2
    sink = UplinkSink(box, pub)
    ok = wait_drained(sink, args.timeout)
    st = box.stats()
    last_error = pub.last_error
    sink.close(2.0)
    if args.json:
        print_json(
            {
                "drained": ok, "published": pub.published, "pending_hits": st.pending_hits,
                "pending_reads": st.pending_reads, "last_error": None if ok else (last_error or "broker slow"),
            }
        )  # fmt: skip
        return 0 if ok else 1
    print(f"published {pub.published}; pending hits {st.pending_hits}, reads {st.pending_reads}")
    if not ok:
        print(f"not drained within {args.timeout:.0f} s: {last_error or 'broker slow'}", file=sys.stderr)
    return 0 if ok else 1


def _export(args: argparse.Namespace) -> int:
    _app, box = _open(args)
    try:
        out = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")  # noqa: SIM115
    except OSError as err:
        box.close()
        raise CommandError(f"{args.output}: {err.strerror}") from None
    try:
        if args.audit:
            for i, at, kind, detail in box.audit_rows():
                out.write(json.dumps({"id": i, "at": at, "kind": kind, "detail": detail}, sort_keys=True).encode())
                out.write(b"\n")
        else:
            for item in box.export(pending_only=args.pending):
                out.write(item.payload + b"\n")
    finally:
        if out is not sys.stdout.buffer:
            out.close()
        box.close()
    return 0


def _purge(args: argparse.Namespace) -> int:
    _app, box = _open(args)
    n = box.purge()
    box.close()
    print(f"purged {n} event(s)")
    return 0
