"""Helpers for the hotlist tests (imported by name: each test folder's helper module has its own name)."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anpr.hotlist import document
from anpr.types import Candidate, PlateRead

Records = Sequence[Mapping[str, Any]]


def snapshot(k: Ed25519PrivateKey | None, version: int, records: Records, list_name: str = "national") -> bytes:
    body = document.make_body("snapshot", list_name, version, records, issued_at=datetime.now(timezone.utc))
    return document.encode(body, k)


def delta(k: Ed25519PrivateKey | None, base: int, version: int, add: Records, remove: Sequence[str] = ()) -> bytes:
    body = document.make_body(
        "delta", "national", version, add, issued_at=datetime.now(timezone.utc), base_version=base,
        remove=[(p, "national") for p in remove],
    )  # fmt: skip
    return document.encode(body, k)


def read(text: str, fmt: str = "unknown", alts: Sequence[str] = ()) -> PlateRead:
    return PlateRead(text, 0.9, (), text, fmt, tuple(Candidate(a, 0.1, "unknown") for a in alts))


def car_plates(n: int) -> list[str]:
    """`n` distinct valid new-format car plates (LLLL·NN), fast enough for lists of 100 000s."""
    letters = "BCDFGHJKLPRSTVWXYZ"
    out = []
    for quad, num in itertools.product(itertools.product(letters, repeat=4), range(10, 100)):
        out.append("".join(quad) + str(num))
        if len(out) == n:
            return out
    raise ValueError(n)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
