"""The hotlist's Ed25519 keys: their short ids, and reading and writing them (PEM, or base64 of the raw
32 bytes) as `anpr hotlist keygen` writes them and configs name them. Crypto is `cryptography`'s."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


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
        except UnicodeDecodeError:
            raise ValueError(
                f"trusted key file {spec!r} is binary; expected a PEM or base64 Ed25519 public key "
                "(`anpr hotlist keygen` writes PREFIX.pub)"
            ) from None
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError:
            raise ValueError(f"trusted key {spec!r}: not a valid PEM public key") from None
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
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError):
        raise ValueError(
            f"{path}: not an unencrypted PEM private key (`anpr hotlist keygen` writes PREFIX.key)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
