"""`anpr hotlist …`: control-room tools (keygen, sign, verify, diff) and device tools (import, status, …)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from anpr.cli import hotlist_room as room
from anpr.cli.common import CommandError, add_config, add_json, add_output, load_config, print_json

Args = argparse.Namespace


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hotlist", help="stolen-vehicle list: sign, verify, import, sync, look up")
    hs = p.add_subparsers(dest="hotlist_command", metavar="ACTION", required=True)

    def cmd(name: str, func: Any, help_: str, config: bool = False) -> argparse.ArgumentParser:
        q = hs.add_parser(name, help=help_, description=help_)
        if config:
            add_config(q)
        q.set_defaults(func=func)
        return q

    q = cmd("keygen", room.keygen, "make an Ed25519 key pair: PREFIX.key (private, 0600) and PREFIX.pub")
    add_output(q, "path prefix of the two files", required=True)
    q = cmd("sign", room.sign, "sign a CSV as a full snapshot document")
    q.add_argument("csv")
    q.add_argument("--key", required=True, help="private key (PEM) from keygen")
    q.add_argument("--version", type=int, required=True, help="list version, higher than the last issued")
    q.add_argument("--list", default="national", help="list name (must match the devices' hotlist.list_name)")
    add_output(q, "document file to write", required=True)
    q.add_argument(
        "--skip-invalid", action="store_true", help="sign the valid rows and report the invalid ones (default: refuse)"
    )
    q.add_argument(
        "--allow-shrink", action="store_true", help="let this snapshot empty the list or shrink it past max_shrink"
    )
    q = cmd("verify", room.verify, "check a document's signature and contents", config=True)
    q.add_argument("document")
    q.add_argument("--pub", action="append", default=[], help="trusted public key (default: the config's)")
    add_json(q)
    q = cmd("import", _import, "apply a signed document, or load a CSV as the unsigned local list", config=True)
    q.add_argument("file")
    add_json(q)
    q = cmd("export", _export, "write the signed entries held (or --all) as CSV", config=True)
    add_output(q, "CSV file (default: stdout)")
    q.add_argument("--all", action="store_true", help="include the unsigned local entries")
    q = cmd("diff", room.diff, "compare two snapshots; with --key and -o, write the signed delta OLD->NEW")
    q.add_argument("old")
    q.add_argument("new")
    q.add_argument("--key", default=None, help="private key to sign the delta")
    add_output(q, "delta document to write")
    q = cmd("status", _status, "version, age, entries and the last refusal", config=True)
    add_json(q)
    q = cmd("lookup", _lookup, "match a plate as the pipeline would: the plate as read, then each match", config=True)
    q.add_argument("plate")
    q.add_argument("--alt", action="append", default=[], help="reader alternative (repeatable)")
    add_json(q)
    q = cmd("sync", _sync, "fetch once from every configured source (file, HTTPS, MQTT)", config=True)
    add_json(q)
    q = cmd("bench", _bench, "time import, lookups and a delta on a synthetic list")
    q.add_argument("--size", type=int, default=100_000)
    add_json(q)
    q.add_argument("--dir", default=None, help="work folder (default: a temporary one)")


def _open(args: Args) -> Any:
    from anpr.hotlist import build_hotlist as open_hotlist

    cfg = load_config(args)
    try:
        return open_hotlist(cfg.hotlist, cfg.state_dir)
    except ValueError as err:  # untrusted-key specs, unreadable CSV
        raise CommandError(f"hotlist: {err}") from None


def _import(args: Args) -> int:
    store = _open(args)
    if store is None:
        return 2
    try:
        with open(args.file, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        if not gz:
            n = store.import_csv(args.file)
            if args.json:
                print_json({"file": args.file, "result": "loaded", "signed": False, "entries": n})
            else:
                print(f"loaded {n} UNSIGNED local entries")
            return 0
        result = store.apply_bytes(Path(args.file).read_bytes(), f"file:{args.file}")
    except (OSError, ValueError) as err:  # unreadable, or neither a document nor a UTF-8 CSV
        return room.fail(f"{args.file}: not a signed document (gzip) nor a readable CSV: {err}")
    refusal = store.status().last_refusal if result == "refused" else None
    if args.json:
        print_json(
            {"file": args.file, "result": result, "signed": True, "version": store.version(), "refusal": refusal}
        )
    else:
        print(f"{result}: version {store.version()}" + (f" ({refusal})" if refusal else ""))
    return 1 if result == "refused" else 0


def _export(args: Args) -> int:
    from anpr.hotlist.entries import write_csv

    store = _open(args)
    if store is None:
        return 2
    n = write_csv(args.output, store.records(None if args.all else "signed"), out=sys.stdout)
    print(f"{n} entries", file=sys.stderr)
    return 0


def _status(args: Args) -> int:
    store = _open(args)
    if store is None:
        return 2
    st = store.status()
    if args.json:
        print_json(asdict(st), indent=2)
    else:
        for k, v in asdict(st).items():
            print(f"{k:18} {v}")
    return 1 if st.last_refusal else 0


def _lookup(args: Args) -> int:
    from anpr.plates.chile import parse
    from anpr.types import Candidate, PlateRead

    store = _open(args)
    if store is None:
        return 2
    p = parse(args.plate)
    text = p.text or args.plate.strip().upper()
    alts = tuple(Candidate(parse(a).text, 0.5, parse(a).format) for a in args.alt)
    # The pipeline raises one hit per read: its best match (exact > wildcard > fuzzy).
    found = store.match(PlateRead(text, 1.0, (), args.plate, p.format, alts))
    matches = [] if found is None else [found]
    if args.json:
        print_json(
            {
                "input": args.plate, "plate": text, "format": p.format, "alternatives": [c.text for c in alts],
                "list_version": store.version(), "matches": [_match_doc(m) for m in matches],
            }
        )  # fmt: skip
        return 0 if matches else 1
    print(f"{text}" + (f" (format {p.format})" if p.format else ""))
    if not matches:
        version = store.version()
        print("  no match" + (f" (list version {version})" if version is not None else " (no signed list held)"))
    for m in matches:
        e = m.entry
        flag = " COVERT (never shown in the car)" if e.covert else ""
        via = f" (via alternative {m.matched_text})" if m.matched_text in {c.text for c in alts} else ""
        print(f"  {m.kind} match (distance {m.distance}) {e.plate} [{e.list_name}] {e.reason} p{e.priority}{flag}{via}")
    return 0 if matches else 1


def _match_doc(m: Any) -> dict[str, Any]:
    e = m.entry
    return {
        "kind": m.kind, "distance": m.distance, "matched_text": m.matched_text, "list_version": m.list_version,
        "entry": {
            "plate": e.plate, "list_name": e.list_name, "reason": e.reason, "priority": e.priority,
            "covert": e.covert, "wildcard": e.wildcard, "expires_at": e.expires_at, "note": e.note,
        },
    }  # fmt: skip


def _sync(args: Args) -> int:
    from anpr.hotlist.sources import build_sources

    store = _open(args)
    if store is None:
        return 2
    sources = build_sources(load_config(args).hotlist, store)
    if not sources:
        return room.fail("no source configured (hotlist.file, hotlist.https_url or hotlist.mqtt)")
    results = {s.name: s.sync_once() for s in sources}
    st = store.status()
    if args.json:
        print_json(
            {
                "sources": [{"name": k, "result": v or "nothing new"} for k, v in results.items()],
                "version": st.version, "entries": st.entries, "last_refusal": st.last_refusal,
            }
        )  # fmt: skip
        return 0
    for name, result in results.items():
        print(f"{name}: {result or 'nothing new'}")
    print(
        f"version {st.version}, {st.entries} entries"
        + (f", last refusal: {st.last_refusal}" if st.last_refusal else "")
    )
    return 0


def _bench(args: Args) -> int:
    from anpr.bench.hotlist import run_bench

    figures = run_bench(args.size, args.dir)
    if args.json:
        print_json(figures, indent=2)
    else:
        for k, v in figures.items():
            print(f"{k:28} {v}")
    return 0
