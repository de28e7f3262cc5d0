"""`anpr hotlist keygen|sign|verify|diff`: the control room's side of the list (keys and signed documents)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from anpr.cli.common import CommandError, load_config, print_json

Args = argparse.Namespace


def fail(msg: str) -> int:
    """Stop the `anpr hotlist` command with one `anpr: hotlist: ...` line and exit 2."""
    raise CommandError(f"hotlist: {msg}")


def keygen(args: Args) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from anpr.hotlist import keys

    key = Ed25519PrivateKey.generate()
    priv, pub = Path(f"{args.output}.key"), Path(f"{args.output}.pub")
    try:
        fd = os.open(priv, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return fail(f"{priv} exists: a private key is never overwritten (choose another -o prefix)")
    except OSError as err:
        return fail(f"{priv}: {err.strerror}")
    with os.fdopen(fd, "wb") as fh:
        fh.write(keys.private_pem(key))
    pub.write_text(keys.public_b64(key.public_key()) + "\n")
    print(f"key id {keys.key_id(key.public_key())}: private {priv}, public {pub}")
    return 0


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def sign(args: Args) -> int:
    from anpr.hotlist import document, keys
    from anpr.hotlist.entries import check_csv

    try:
        key = keys.load_private_key(args.key)
        records, problems = check_csv(args.csv, args.list)
    except (OSError, ValueError) as err:
        return fail(str(err))
    if problems and not args.skip_invalid:
        for problem in problems[:50]:
            print(f"anpr: {args.csv}: {problem}", file=sys.stderr)
        more = " (first 50 shown)" if len(problems) > 50 else ""
        return fail(f"{args.csv}: {len(problems)} invalid row(s){more}; nothing signed (fix them, or --skip-invalid)")
    if not records and not args.allow_shrink:
        return fail(f"{args.csv}: no valid entry; an empty list is signed only with --allow-shrink")
    body = document.make_body(
        "snapshot", args.list, args.version, records, issued_at=datetime.now(timezone.utc),
        allow_shrink=args.allow_shrink,
    )  # fmt: skip
    _write_atomic(args.output, document.encode(body, key))
    skipped = f", {len(problems)} invalid row(s) skipped" if problems else ""
    print(f"{args.output}: snapshot v{args.version} of list {args.list}, {len(records)} entries{skipped}")
    return 0


def _trusted(args: Args) -> dict[str, Any]:
    from anpr.hotlist import keys

    specs = args.pub or list(load_config(args).hotlist.trusted_keys)
    return keys.load_trusted(specs)


def verify(args: Args) -> int:
    from anpr.hotlist import document
    from anpr.hotlist.base import DocumentRefused

    try:
        doc = document.decode(Path(args.document).read_bytes(), _trusted(args))
    except (OSError, ValueError) as err:
        return fail(str(err))
    except DocumentRefused as ref:
        if args.json:
            print_json({"ok": False, "document": args.document, "refused": ref.reason, "detail": ref.detail})
        else:
            print(f"REFUSED {ref}")
        return 1
    if args.json:
        print_json(
            {
                "ok": True, "document": args.document, "kind": doc.kind, "list_name": doc.list_name,
                "version": doc.version, "base_version": doc.base_version, "issued_at": doc.issued_at,
                "key_id": doc.key_id, "entries": len(doc.entries), "removed": len(doc.remove),
            }
        )  # fmt: skip
        return 0
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


def diff(args: Args) -> int:
    from anpr.hotlist import document, keys
    from anpr.hotlist.base import DocumentRefused

    try:
        old, new = (document.read_unverified(Path(p).read_bytes()) for p in (args.old, args.new))
        key = keys.load_private_key(args.key) if args.key and args.output else None
    except (OSError, ValueError, DocumentRefused) as err:
        return fail(str(err))
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
    if key is not None:
        body = document.make_body(
            "delta", new.list_name, new.version, [b[k] for k in added + changed],
            issued_at=new.issued_at, base_version=old.version, remove=removed,
        )  # fmt: skip
        _write_atomic(args.output, document.encode(body, key))
        print(f"{args.output}: signed delta {old.version}->{new.version}")
    return 0
