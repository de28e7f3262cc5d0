"""The signed hotlist document: one format for the file, HTTPS and MQTT sources.

Wire form: gzip of two lines of canonical JSON (sorted keys, no spaces, UTF-8):

    {"alg":"ed25519","body_bytes":…,"body_sha256":"…","key_id":"…","sig":"<base64>","v":2}
    {"format":"anpr-hotlist","schema":1,"list":"national","kind":"snapshot","version":7,"count":…,…}

The signature covers the canonical signature line without its `sig` field; that line carries the size
and SHA-256 of the body line. So a receiver checks the key and the signature on a line of at most 4 KB
before it inflates a byte of the body, and then inflates only as many bytes as were signed: a forged
or bombed document is refused within bounded memory whatever it claims (`anpr.hotlist.inflate`).
Version 1 documents (the signature over the body bytes, no size) are still read, within `max_bytes`.

A snapshot carries `entries` and their `count`; a delta carries `base_version`, `add` (entries,
replacing any with the same plate and list_name) and `remove` (`{"plate","list_name"}` keys). A
snapshot that empties the list or shrinks it past the receiver's limit is applied only when it says
`allow_shrink` (signed, so only the list's owner can say it). Crypto is `cryptography`'s Ed25519
(keys: `anpr.hotlist.keys`); nothing here is hand-rolled.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from anpr.hotlist.base import DocumentRefused
from anpr.hotlist.inflate import Inflater
from anpr.hotlist.keys import key_id

FORMAT = "anpr-hotlist"
SCHEMA = 1
HEADER_MAX = 4096
"""Longest signature line read: a real one is about 250 bytes."""
DocKind = Literal["snapshot", "delta"]


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8 (no floats are used in documents)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def utc_iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Document:
    """A decoded, verified document. Entries stay as dicts; `anpr.hotlist.entries` validates them."""

    kind: DocKind
    list_name: str
    version: int
    base_version: int | None
    issued_at: datetime
    key_id: str | None
    entries: tuple[Mapping[str, Any], ...]
    """Snapshot: the whole list. Delta: the entries to add or replace."""
    remove: tuple[tuple[str, str], ...] = ()
    allow_shrink: bool = False
    """Signed permission to empty the list or shrink it past the receiver's `max_shrink`."""


def make_body(
    kind: DocKind,
    list_name: str,
    version: int,
    entries: Iterable[Mapping[str, Any]],
    *,
    issued_at: datetime,
    base_version: int | None = None,
    remove: Iterable[tuple[str, str]] = (),
    allow_shrink: bool = False,
) -> dict[str, Any]:
    """The body of a document; entry fields that are empty or false are left out (smaller, still canonical)."""
    clean = [{k: v for k, v in e.items() if v not in (None, "", False)} for e in entries]
    body: dict[str, Any] = {
        "format": FORMAT,
        "schema": SCHEMA,
        "list": list_name,
        "kind": kind,
        "version": version,
        "issued_at": utc_iso(issued_at),
        "count": len(clean),
    }
    if allow_shrink:
        body["allow_shrink"] = True
    if kind == "snapshot":
        body["entries"] = clean
    else:
        if base_version is None:
            raise ValueError("a delta needs base_version")
        body["base_version"] = base_version
        body["add"] = clean
        body["remove"] = [{"plate": p, "list_name": n} for p, n in remove]
    return body


def encode(body: Mapping[str, Any], key: Ed25519PrivateKey | None) -> bytes:
    """Sign (unless `key` is None, which makes an unsigned document, for tests) and compress."""
    payload = canonical(body)
    header: dict[str, Any] = {"v": 2, "body_bytes": len(payload), "body_sha256": hashlib.sha256(payload).hexdigest()}
    if key is not None:
        header.update(alg="ed25519", key_id=key_id(key.public_key()))
        header["sig"] = base64.b64encode(key.sign(canonical(header))).decode()
    return gzip.compress(canonical(header) + b"\n" + payload, compresslevel=6, mtime=0)


def _field(body: Mapping[str, Any], name: str, typ: type) -> Any:
    value = body.get(name)
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
        raise DocumentRefused("malformed", f"field {name!r} missing or not {typ.__name__}")
    return value


def _header(stream: Inflater) -> dict[str, Any]:
    line = stream.line(HEADER_MAX)
    if line is None:
        raise DocumentRefused("malformed", "expected a signature line and a body line")
    try:
        header = json.loads(line)
    except ValueError:
        raise DocumentRefused("malformed", "signature line is not JSON") from None
    if not isinstance(header, dict):
        raise DocumentRefused("malformed", "signature line is not a JSON object")
    return header


def _signed_size(header: Mapping[str, Any], max_bytes: int) -> tuple[int, str]:
    size, digest = header.get("body_bytes"), header.get("body_sha256")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or not isinstance(digest, str):
        raise DocumentRefused("malformed", "signature line without a valid body size and digest")
    if size > max_bytes:
        raise DocumentRefused("too-large", f"the body is {size} bytes, more than the {max_bytes} accepted")
    return size, digest


def _body_v2(stream: Inflater, header: Mapping[str, Any], max_bytes: int) -> bytes:
    """The body, inflated only up to the size the signature line vouches for, and its digest checked."""
    size, digest = _signed_size(header, max_bytes)
    sha = hashlib.sha256()
    try:
        payload = stream.rest(size, sha.update)
    except DocumentRefused as ref:
        if ref.reason != "too-large":
            raise
        raise DocumentRefused("bad-signature", f"the body is longer than the {size} signed bytes") from None
    if len(payload) != size or sha.hexdigest() != digest:
        raise DocumentRefused("bad-signature", "the body does not match its signed size and digest (tampered)")
    return payload


def decode(data: bytes, trusted: Mapping[str, Ed25519PublicKey], *, max_bytes: int = 32 << 20) -> Document:
    """Verify the signature against the trusted keys, then inflate and parse. Raises DocumentRefused.

    Memory stays bounded whatever the document claims: the key and (v2) the signature are checked on the
    first line before the body is inflated, and the body is never inflated past `max_bytes`.
    """
    stream = Inflater(data)
    header = _header(stream)
    if not header.get("sig"):
        raise DocumentRefused("unsigned", "the document carries no signature")
    if header.get("alg") != "ed25519":
        raise DocumentRefused("malformed", f"unsupported signature algorithm {str(header.get('alg'))[:40]!r}")
    kid = str(header.get("key_id"))[:64]
    public = trusted.get(kid)
    if public is None:
        raise DocumentRefused("unknown-key", f"signed by key {kid!r}, trusted: {', '.join(sorted(trusted)) or 'none'}")
    v2 = header.get("v") == 2
    signed = canonical({k: v for k, v in header.items() if k != "sig"}) if v2 else None
    if v2:
        _verify(public, kid, header["sig"], signed or b"")
        payload = _body_v2(stream, header, max_bytes)
    else:  # version 1: the signature is over the body itself, so the body is read (bounded) first
        payload = stream.rest(max_bytes)
        _verify(public, kid, header["sig"], payload)
    return _parse_body(_json_object(payload), kid)


def _verify(public: Ed25519PublicKey, kid: str, sig: Any, message: bytes) -> None:
    try:
        public.verify(base64.b64decode(str(sig), validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        raise DocumentRefused(
            "bad-signature", f"signature by key {kid} does not verify (tampered or corrupt)"
        ) from None


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        raise DocumentRefused("malformed", "body is not JSON") from None
    if not isinstance(body, dict):
        raise DocumentRefused("malformed", "body is not a JSON object")
    return body


def _parse_body(body: Mapping[str, Any], kid: str | None) -> Document:
    if body.get("format") != FORMAT or body.get("schema") != SCHEMA:
        raise DocumentRefused("malformed", f"not an {FORMAT} schema {SCHEMA} document")
    kind = body.get("kind")
    if kind not in ("snapshot", "delta"):
        raise DocumentRefused("malformed", f"kind {kind!r} is neither snapshot nor delta")
    version = _field(body, "version", int)
    try:
        issued = datetime.fromisoformat(_field(body, "issued_at", str))
    except ValueError:
        raise DocumentRefused("malformed", "issued_at is not an ISO 8601 time") from None
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=timezone.utc)
    base: int | None = None
    remove: tuple[tuple[str, str], ...] = ()
    if kind == "snapshot":
        entries = _field(body, "entries", list)
    else:
        base = _field(body, "base_version", int)
        entries = _field(body, "add", list)
        rm = _field(body, "remove", list)
        if not all(isinstance(r, dict) and isinstance(r.get("plate"), str) for r in rm):
            raise DocumentRefused("malformed", "remove items need a plate")
        remove = tuple((r["plate"], str(r.get("list_name", ""))) for r in rm)
    if not all(isinstance(e, dict) for e in entries):
        raise DocumentRefused("malformed", "entries must be JSON objects")
    count = body.get("count")
    if count is not None and count != len(entries):
        raise DocumentRefused("malformed", f"the document says {count!r} entries but carries {len(entries)}")
    allow_shrink = body.get("allow_shrink", False) is True
    return Document(kind, _field(body, "list", str), version, base, issued, kid, tuple(entries), remove, allow_shrink)


def read_unverified(data: bytes, *, max_bytes: int = 32 << 20) -> Document:
    """Parse a document WITHOUT checking its signature: for the operator's own files (`anpr hotlist diff`)."""
    stream = Inflater(data)
    header = _header(stream)
    payload = _body_v2(stream, header, max_bytes) if header.get("v") == 2 else stream.rest(max_bytes)
    return _parse_body(_json_object(payload), None)
