"""`anpr hotlist …`: control-room tools (keygen, sign, verify, diff) and device tools (import, status, …)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

Args = argparse.Namespace


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hotlist", help="stolen-vehicle list: sign, verify, import, sync, look up")
    hs = p.add_subparsers(dest="hotlist_command", metavar="ACTION", required=True)

    def cmd(name: str, func: Any, help_: str, config: bool = False) -> argparse.ArgumentParser:
        q = hs.add_parser(name, help=help_, description=help_)
        if config:
            q.add_argument("-c", "--config", default=None, help="config TOML (default: built-in demo config)")
        q.set_defaults(func=func)
        return q

    q = cmd("keygen", _keygen, "make an Ed25519 key pair: PREFIX.key (private, 0600) and PREFIX.pub")
    q.add_argument("--out", required=True, help="path prefix of the two files")
    q = cmd("sign", _sign, "sign a CSV as a full snapshot document")
    q.add_argument("csv")
    q.add_argument("--key", required=True, help="private key (PEM) from keygen")
    q.add_argument("--version", type=int, required=True, help="list version, higher than the last issued")
    q.add_argument("--list", default="national", help="list name (must match the devices' hotlist.list_name)")
    q.add_argument("--out", required=True, help="document file to write")
    q.add_argument(
        "--skip-invalid", action="store_true", help="sign the valid rows and report the invalid ones (default: refuse)"
    )
    q.add_argument(
        "--allow-shrink", action="store_true", help="let this snapshot empty the list or shrink it past max_shrink"
    )
    q = cmd("verify", _verify, "check a document's signature and contents", config=True)
    q.add_argument("document")
    q.add_argument("--pub", action="append", default=[], help="trusted public key (default: the config's)")
    q = cmd("import", _import, "apply a signed document, or load a CSV as the unsigned local list", config=True)
    q.add_argument("file")
    q = cmd("export", _export, "write the signed entries held (or --all) as CSV", config=True)
    q.add_argument("--out", default=None, help="CSV file (default: stdout)")
    q.add_argument("--all", action="store_true", help="include the unsigned local entries")
    q = cmd("diff", _diff, "compare two snapshots; with --key and --out, write the signed delta OLD->NEW")
    q.add_argument("old")
    q.add_argument("new")
    q.add_argument("--key", default=None, help="private key to sign the delta")
    q.add_argument("--out", default=None, help="delta document to write")
    q = cmd("status", _status, "version, age, entries and the last refusal", config=True)
    q.add_argument("--json", action="store_true")
    q = cmd("lookup", _lookup, "match a plate as the pipeline would", config=True)
    q.add_argument("plate")
    q.add_argument("--alt", action="append", default=[], help="reader alternative (repeatable)")
    cmd("sync", _sync, "fetch once from every configured source (file, HTTPS, MQTT)", config=True)
    q = cmd("bench", _bench, "time import, lookups and a delta on a synthetic list")
    q.add_argument("--size", type=int, default=100_000)
    q.add_argument("--json", action="store_true")
    q.add_argument("--dir", default=None, help="work folder (default: a temporary one)")


def _fail(msg: str, code: int = 2) -> int:
    print(f"anpr hotlist: {msg}", file=sys.stderr)
    return code


def _open(args: Args) -> Any:
    from anpr.app.config import ConfigError, load
    from anpr.hotlist import build_hotlist as open_hotlist

    try:
        cfg = load(args.config)
        return open_hotlist(cfg.hotlist, cfg.state_dir)
    except ConfigError as err:
        print(err, file=sys.stderr)
    except ValueError as err:  # untrusted-key specs, unreadable CSV
        print(f"anpr hotlist: {err}", file=sys.stderr)
    return None


def _keygen(args: Args) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from anpr.hotlist import document

    key = Ed25519PrivateKey.generate()
    priv, pub = Path(f"{args.out}.key"), Path(f"{args.out}.pub")
    fd = os.open(priv, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(document.private_pem(key))
    pub.write_text(document.public_b64(key.public_key()) + "\n")
    print(f"key id {document.key_id(key.public_key())}: private {priv}, public {pub}")
    return 0


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _sign(args: Args) -> int:
    from anpr.hotlist import document
    from anpr.hotlist.entries import check_csv

    try:
        key = document.load_private_key(args.key)
        records, problems = check_csv(args.csv, args.list)
    except (OSError, ValueError) as err:
        return _fail(str(err))
    if problems and not args.skip_invalid:
        for problem in problems[:50]:
            print(f"anpr: {args.csv}: {problem}", file=sys.stderr)
        more = " (first 50 shown)" if len(problems) > 50 else ""
        return _fail(f"{args.csv}: {len(problems)} invalid row(s){more}; nothing signed (fix them, or --skip-invalid)")
    if not records and not args.allow_shrink:
        return _fail(f"{args.csv}: no valid entry; an empty list is signed only with --allow-shrink")
    body = document.make_body(
        "snapshot", args.list, args.version, records, issued_at=datetime.now(timezone.utc),
        allow_shrink=args.allow_shrink,
    )  # fmt: skip
    _write_atomic(args.out, document.encode(body, key))
    skipped = f", {len(problems)} invalid row(s) skipped" if problems else ""
    print(f"{args.out}: snapshot v{args.version} of list {args.list}, {len(records)} entries{skipped}")
    return 0


def _trusted(args: Args) -> dict[str, Any]:
    from anpr.app.config import load
    from anpr.hotlist import document

    specs = args.pub or list(load(args.config).hotlist.trusted_keys)
    return document.load_trusted(specs)


def _verify(args: Args) -> int:
    from anpr.app.config import ConfigError
    from anpr.hotlist import document
    from anpr.hotlist.base import DocumentRefused

    try:
        doc = document.decode(Path(args.document).read_bytes(), _trusted(args))
    except (OSError, ValueError, ConfigError) as err:
        return _fail(str(err))
    except DocumentRefused as ref:
        print(f"REFUSED {ref}")
        return 1
    span = f"delta {doc.base_version}->{doc.version}" if doc.kind == "delta" else f"snapshot v{doc.version}"
    print(
        f"OK {span} list {doc.list_name} issued {doc.issued_at.isoformat()} key {doc.key_id}: "
        + (
            f"{len(doc.entries)} added, {len(doc.remove)} removed"
            if doc.kind == "delta"
            else f"{len(doc.entries)} entries"
        )
    )
    return 0


def _import(args: Args) -> int:
    store = _open(args)
    if store is None:
        return 2
    try:
        with open(args.file, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        if not gz:
            print(f"loaded {store.import_csv(args.file)} UNSIGNED local entries")
            return 0
        data = Path(args.file).read_bytes()
    except (OSError, ValueError) as err:
        return _fail(f"{args.file}: not a signed document (gzip) nor a readable CSV: {err}")
    result = store.apply_bytes(data, f"file:{args.file}")
    print(f"{result}: version {store.version()}" + (f" ({store.status().last_refusal})" if result == "refused" else ""))
    return 1 if result == "refused" else 0


def _export(args: Args) -> int:
    from anpr.hotlist.entries import write_csv

    store = _open(args)
    if store is None:
        return 2
    n = write_csv(args.out, store.records(None if args.all else "signed"), out=sys.stdout)
    print(f"{n} entries", file=sys.stderr)
    return 0


def _diff(args: Args) -> int:
    from anpr.hotlist import document
    from anpr.hotlist.base import DocumentRefused

    try:
        old, new = (document.read_unverified(Path(p).read_bytes()) for p in (args.old, args.new))
    except (OSError, DocumentRefused) as err:
        return _fail(str(err))
    a = {(e["plate"], e.get("list_name", old.list_name)): dict(e) for e in old.entries}
    b = {(e["plate"], e.get("list_name", new.list_name)): dict(e) for e in new.entries}
    removed = sorted(set(a) - set(b))
    changed = sorted(k for k in b if k in a and a[k] != b[k])
    added = sorted(set(b) - set(a))
    for k in removed:
        print(f"- {k[0]} [{k[1]}]")
    for k in added + changed:
        print(f"{'+' if k in added else '~'} {k[0]} [{k[1]}] {b[k].get('reason', '')}")
    print(f"v{old.version}->v{new.version}: {len(added)} added, {len(changed)} changed, {len(removed)} removed")
    if args.key and args.out:
        body = document.make_body(
            "delta", new.list_name, new.version, [b[k] for k in added + changed],
            issued_at=new.issued_at, base_version=old.version, remove=removed,
        )  # fmt: skip
        _write_atomic(args.out, document.encode(body, document.load_private_key(args.key)))
        print(f"{args.out}: signed delta {old.version}->{new.version}")
    return 0


def _status(args: Args) -> int:
    store = _open(args)
    if store is None:
        return 2
    st = store.status()
    if args.json:
        print(json.dumps(asdict(st), default=str, indent=2))
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
    alts = tuple(Candidate(parse(a).text, 0.5, parse(a).format) for a in args.alt)
    m = store.match(PlateRead(p.text or args.plate.upper(), 1.0, (), args.plate, p.format, alts))
    if m is None:
        print(f"{p.text or args.plate}: no match (list version {store.version()})")
        return 1
    e = m.entry
    flag = " COVERT (never shown in the car)" if e.covert else ""
    print(
        f"{m.matched_text}: {m.kind} match (distance {m.distance}) {e.plate} [{e.list_name}] "
        f"{e.reason} p{e.priority}{flag}"
    )
    return 0


def _sync(args: Args) -> int:
    from anpr.app.config import load
    from anpr.hotlist.sources import build_sources

    store = _open(args)
    if store is None:
        return 2
    sources = build_sources(load(args.config).hotlist, store)
    if not sources:
        return _fail("no source configured (hotlist.file, hotlist.https_url or hotlist.mqtt)")
    for s in sources:
        print(f"{s.name}: {s.sync_once() or 'nothing new'}")
    st = store.status()
    print(
        f"version {st.version}, {st.entries} entries"
        + (f", last refusal: {st.last_refusal}" if st.last_refusal else "")
    )
    return 0


def _bench(args: Args) -> int:
    from anpr.bench.hotlist import run_bench

    figures = run_bench(args.size, args.dir)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:28} {v}")
    return 0
