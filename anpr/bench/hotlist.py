"""`anpr hotlist bench`: the figures of the hotlist issue on a synthetic list (printed, never asserted)."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anpr.hotlist import document, keys
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.store import HotlistStore
from anpr.types import PlateRead

_MIX = (("car", 0.7), ("car_old", 0.2), ("moto", 0.1))


def _plates(rng: random.Random, n: int) -> list[str]:
    """`n` distinct valid plates, mixed like the fleet. Slot pools are drawn directly (random_plate is
    slow for a million); car_old keeps random_plate because its series table rules out most draws."""
    from anpr.plates.chile import format_by_name, random_plate

    pools = {name: [sorted(s) for s in format_by_name(name).slots] for name, _ in _MIX}
    names = [m for m, _ in _MIX]
    weights = [w for _, w in _MIX]
    out: set[str] = set()
    while len(out) < n:
        name = rng.choices(names, weights)[0]
        if name == "car_old":
            out.add(random_plate(rng, name))
            continue
        text = "".join(rng.choice(pool) for pool in pools[name])
        if format_by_name(name).matches(text):
            out.add(text)
    return sorted(out)


def _per_call(fn: Any, items: list[Any], rounds: int = 5) -> float:
    """Seconds per call: the best of `rounds` passes (as timeit advises; the other passes saw other load)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for it in items:
            fn(it)
        best = min(best, (time.perf_counter() - t0) / len(items))
    return best


def run_bench(size: int, workdir: str | None = None, seed: int = 1) -> dict[str, Any]:
    """Build a `size`-entry signed snapshot, apply it, time lookups and a 10 000-entry delta."""
    rng = random.Random(seed)
    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    folder = Path(workdir or tmp.name)  # type: ignore[union-attr]
    key = Ed25519PrivateKey.generate()
    fig: dict[str, Any] = {"size": size}

    t0 = time.perf_counter()
    plates = _plates(rng, size + 5000)
    listed, spare = plates[:size], plates[size:]
    n_pat = min(500, size)
    patterns = [p[:2] + "?" + p[3:] for p in rng.sample(listed, n_pat)]
    patterns += [p[:3] + "*" for p in rng.sample(listed, n_pat)]
    records = [{"plate": p, "reason": "robo", "priority": rng.randint(1, 5)} for p in listed]
    records += [{"plate": w, "reason": "testigo", "priority": 1} for w in sorted(set(patterns))]
    fig["generate_s"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    now = datetime.now(timezone.utc)
    doc = document.encode(document.make_body("snapshot", "national", 1, records, issued_at=now), key)
    fig["sign_s"] = round(time.perf_counter() - t0, 2)
    fig["document_mb"] = round(len(doc) / 1e6, 2)

    cfg = HotlistConfig(csv=None, fuzzy=True)
    db = folder / "bench-hotlist.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = HotlistStore(db, cfg, {keys.key_id(key.public_key()): key.public_key()})
    t0 = time.perf_counter()
    assert store.apply_bytes(doc, "bench") == "applied"
    fig["import_s"] = round(time.perf_counter() - t0, 2)
    fig["wildcard_patterns"] = store.matcher.wildcards.count

    probes = rng.sample(listed, min(2000, size))
    exact = lambda p: store.matcher.exact_rows([p], "9999")  # noqa: E731
    fig["exact_lookup_cold_us"] = round(_per_call(exact, probes, rounds=1) * 1e6, 1)  # first touch of each page
    fig["exact_lookup_us"] = round(_per_call(exact, probes) * 1e6, 1)  # pages cached, as on a running unit
    reads_hit = [PlateRead(p, 0.9, (), p, "unknown") for p in probes]
    fig["match_hit_us"] = round(_per_call(store.match, reads_hit) * 1e6, 1)
    misses = [PlateRead(p, 0.9, (), p, "unknown") for p in spare[:2000]]
    fig["match_miss_full_ms"] = round(_per_call(store.match, misses) * 1e3, 3)
    fig["fuzzy_lookup_ms"] = round(_per_call(lambda r: store.matcher.fuzzy_match(r, "9999"), misses) * 1e3, 3)
    fig["wildcard_per_read_ms"] = round(_per_call(store.matcher.wildcards.match, [r.text for r in misses]) * 1e3, 3)

    half = min(5000, size // 2)  # a 10 000-entry delta: half removals, half additions
    removed = [(p, "national") for p in rng.sample(listed, half)]
    added = [{"plate": p, "reason": "robo", "priority": 3} for p in spare[:half]]
    delta = document.encode(
        document.make_body("delta", "national", 2, added, issued_at=now, base_version=1, remove=removed), key
    )
    t0 = time.perf_counter()
    assert store.apply_bytes(delta, "bench") == "applied"
    fig["delta_entries"] = 2 * half
    fig["delta_10k_apply_s"] = round(time.perf_counter() - t0, 3)
    store.checkpoint()  # db_mb measures the file alone: fold the WAL into it first
    fig["db_mb"] = round(db.stat().st_size / 1e6, 1)
    store.close()
    if tmp is not None:
        tmp.cleanup()
    return fig
