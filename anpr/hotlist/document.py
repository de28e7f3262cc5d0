"""The signed hotlist document: one format for the file, HTTPS and MQTT sources.

Wire form: gzip of two lines of canonical JSON (sorted keys, no spaces, UTF-8):

    {"alg":"ed25519","key_id":"…","sig":"<base64>"}
    {"format":"anpr-hotlist","schema":1,"list":"national","kind":"snapshot","version":7,…}

The signature covers the exact bytes of the second line, so verifying needs no re-serialisation and
canonical JSON never has a raw newline inside. A snapshot carries `entries`; a delta carries
`base_version`, `add` (entries, replacing any with the same plate and list_name) and `remove`
(`{"plate","list_name"}` keys). Crypto is `cryptography`'s Ed25519; nothing here is hand-rolled.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from anpr.hotlist.base import DocumentRefused

FORMAT = "anpr-hotlist"
SCHEMA = 1
DocKind = Literal["snapshot", "delta"]


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8 (no floats are used in documents)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id(public: Ed25519PublicKey) -> str:
    """Short stable id of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_b64(public: Ed25519PublicKey) -> str:
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def load_public_key(spec: str) -> Ed25519PublicKey:
    """A trusted key from config: a file (PEM, or base64 of the 32 raw bytes) or the base64 itself."""
    text = spec.strip()
    path = Path(spec)
    if len(text) != 44 or path.exists():  # 44 = base64 of 32 bytes; anything else must be a file
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as err:
            raise ValueError(
                f"trusted key {spec!r}: not a base64 Ed25519 key and not a readable file ({err})"
            ) from None
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"trusted key {spec!r}: PEM key is not Ed25519")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise ValueError(f"trusted key {spec!r}: not a base64 32-byte Ed25519 public key") from None


def load_trusted(specs: Iterable[str]) -> dict[str, Ed25519PublicKey]:
    keys = [load_public_key(s) for s in specs]
    return {key_id(k): k for k in keys}


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


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


def make_body(
    kind: DocKind,
    list_name: str,
    version: int,
    entries: Iterable[Mapping[str, Any]],
    *,
    issued_at: datetime,
    base_version: int | None = None,
    remove: Iterable[tuple[str, str]] = (),
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
    }
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
    header: dict[str, str] = {}
    if key is not None:
        header = {
            "alg": "ed25519",
            "key_id": key_id(key.public_key()),
            "sig": base64.b64encode(key.sign(payload)).decode(),
        }
    return gzip.compress(canonical(header) + b"\n" + payload, compresslevel=6, mtime=0)


def _gunzip(data: bytes, limit: int) -> bytes:
    if data[:2] != b"\x1f\x8b":
        raise DocumentRefused("malformed", "not a gzip stream")
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as err:
        raise DocumentRefused("malformed", f"corrupt gzip stream ({err})") from None
    if len(out) > limit:
        raise DocumentRefused("too-large", f"decompresses past {limit} bytes")
    if not d.eof:
        raise DocumentRefused("truncated", f"compressed stream ends early after {len(data)} bytes")
    return out


def _field(body: Mapping[str, Any], name: str, typ: type) -> Any:
    value = body.get(name)
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
        raise DocumentRefused("malformed", f"field {name!r} missing or not {typ.__name__}")
    return value


def decode(data: bytes, trusted: Mapping[str, Ed25519PublicKey], *, max_bytes: int = 512 << 20) -> Document:
    """Decompress, verify the signature against the trusted keys, and parse. Raises DocumentRefused."""
    raw = _gunzip(data, max_bytes)
    header_line, sep, payload = raw.partition(b"\n")
    if not sep:
        raise DocumentRefused("malformed", "expected a signature line and a body line")
    try:
        header = json.loads(header_line)
    except ValueError:
        raise DocumentRefused("malformed", "signature line is not JSON") from None
    if not isinstance(header, dict) or not header.get("sig"):
        raise DocumentRefused("unsigned", "the document carries no signature")
    if header.get("alg") != "ed25519":
        raise DocumentRefused("malformed", f"unsupported signature algorithm {header.get('alg')!r}")
    kid = str(header.get("key_id"))
    public = trusted.get(kid)
    if public is None:
        raise DocumentRefused("unknown-key", f"signed by key {kid}, trusted: {', '.join(sorted(trusted)) or 'none'}")
    try:
        public.verify(base64.b64decode(str(header["sig"]), validate=True), payload)
    except (InvalidSignature, binascii.Error, ValueError):
        raise DocumentRefused(
            "bad-signature", f"signature by key {kid} does not verify (tampered or corrupt)"
        ) from None
    try:
        body = json.loads(payload)
    except ValueError:
        raise DocumentRefused("malformed", "body is not JSON") from None
    if not isinstance(body, dict):
        raise DocumentRefused("malformed", "body is not a JSON object")
    return _parse_body(body, kid)


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
    return Document(kind, _field(body, "list", str), version, base, issued, kid, tuple(entries), remove)


def read_unverified(data: bytes, *, max_bytes: int = 512 << 20) -> Document:
    """Parse a document WITHOUT checking its signature: for the operator's own files (`anpr hotlist diff`)."""
    raw = _gunzip(data, max_bytes)
    _, _, payload = raw.partition(b"\n")
    try:
        body = json.loads(payload)
    except ValueError:
        raise DocumentRefused("malformed", "body is not JSON") from None
    if not isinstance(body, dict):
        raise DocumentRefused("malformed", "body is not a JSON object")
    return _parse_body(body, None)
