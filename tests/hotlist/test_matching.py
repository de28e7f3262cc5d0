"""Exact, fuzzy, wildcard and covert matching against a real store; a property test for exact matches."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.hotlist import delta, read, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anpr.hotlist import keys
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.entries import plate_format
from anpr.hotlist.matching import confusable_variants
from anpr.hotlist.store import HotlistStore
from anpr.plates.chile import random_plate

LIST = [
    {"plate": "KZGS97", "reason": "robo", "priority": 3},
    {"plate": "WKG16", "reason": "robo moto", "priority": 1},
    {"plate": "BB?L12", "reason": "testigo", "priority": 1},
    {"plate": "DRT*", "reason": "testigo parcial", "priority": 2},
    {"plate": "HJPS44", "reason": "encargo", "priority": 5, "covert": True},
]


@pytest.fixture
def store(make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey) -> HotlistStore:
    s = make_store()
    assert s.apply_bytes(snapshot(key, 1, LIST), "t") == "applied"
    return s


def test_exact(store: HotlistStore) -> None:
    m = store.match(read("KZGS97", "car"))
    assert m is not None and (m.kind, m.distance, m.entry.plate, m.list_version) == ("exact", 0, "KZGS97", 1)
    assert store.match(read("KZGS98", "car")) is None


def test_fuzzy_one_confusable_same_format_is_labelled(store: HotlistStore) -> None:
    m = store.match(read("KZCS97", "car"))  # C/G, both valid consonants: no grammar can fix this
    assert m is not None and m.kind == "fuzzy" and m.distance == 1 and m.entry.plate == "KZGS97"
    assert m.matched_text == "KZGS97"


def test_fuzzy_off(make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey) -> None:
    s = make_store(fuzzy=False)
    s.apply_bytes(snapshot(key, 1, LIST), "t")
    assert s.match(read("KZCS97", "car")) is None


@pytest.mark.parametrize(("text", "fmt"), [("KZG597", "trailer"), ("WK616", "moto_old")])
def test_fuzzy_never_crosses_formats(store: HotlistStore, text: str, fmt: str) -> None:
    assert plate_format(text) == fmt  # one confusable away from a listed plate, but another format
    assert store.match(read(text, fmt)) is None
    assert store.match(read(text, "unknown")) is None  # format worked out from the text: same answer


def test_alternative_of_other_format_not_matched(store: HotlistStore) -> None:
    assert store.match(read("WK616", "moto_old", alts=("WKG16",))) is None


def test_fuzzy_from_alternatives(store: HotlistStore) -> None:
    # Two substitutions from the top read, but the reader's second guess is one confusable away.
    m = store.match(read("KZCS91", "car", alts=("KZCS97",)))
    assert m is not None and m.kind == "fuzzy" and m.entry.plate == "KZGS97" and m.distance == 2


def test_wildcards(store: HotlistStore) -> None:
    m = store.match(read("BBXL12", "car"))
    assert m is not None and (m.kind, m.entry.plate, m.entry.wildcard) == ("wildcard", "BB?L12", True)
    m2 = store.match(read("DRTW55", "car"))
    assert m2 is not None and m2.kind == "wildcard" and m2.entry.plate == "DRT*"
    assert store.match(read("BBXL123")) is None  # ? is exactly one character
    assert store.match(read("XDRT55", "car")) is None  # * anchors at the start


def test_covert_matches_but_is_flagged(store: HotlistStore) -> None:
    m = store.match(read("HJPS44", "car"))
    assert m is not None and m.kind == "exact" and m.entry.covert is True


def test_ranking_exact_beats_wildcard_and_priority_breaks_ties(
    make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    s = make_store()
    s.apply_bytes(
        snapshot(key, 1, [
            {"plate": "BBCL12", "reason": "low", "priority": 1},
            {"plate": "BBCL12", "list_name": "other", "reason": "high", "priority": 9},
            {"plate": "BBC*", "reason": "wild", "priority": 10},
            {"plate": "BBGL13", "reason": "fuzzy-near", "priority": 0},
        ]),
        "t",
    )  # fmt: skip
    m = s.match(read("BBCL12", "car"))
    assert m is not None and m.kind == "exact" and m.entry.reason == "high"
    m2 = s.match(read("BBGL12", "car"))  # fuzzy to BBCL12 (G/C) but no wildcard fits: best priority wins
    assert m2 is not None and m2.kind == "fuzzy" and m2.entry.reason == "high"


def test_expired_never_match(make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey) -> None:
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    s = make_store()
    s.apply_bytes(
        snapshot(key, 1, [
            {"plate": "BBCL12", "expires_at": past},
            {"plate": "BBCL1*", "expires_at": past},
            {"plate": "KZGS97", "expires_at": future},
        ]),
        "t",
    )  # fmt: skip
    assert s.match(read("BBCL12", "car")) is None
    assert s.match(read("BBGL12", "car")) is None  # fuzzy neighbour of an expired entry
    m = s.match(read("KZGS97", "car"))
    assert m is not None and m.entry.expires_at is not None
    assert s.status().entries == 1


def test_check_digit_validated(make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey) -> None:
    from anpr.plates.checkdigit import check_digit

    good = check_digit("BBCL12")
    assert good is not None
    bad = "1" if good != "1" else "2"
    s = make_store()
    s.apply_bytes(
        snapshot(key, 1, [{"plate": "BBCL12", "check_digit": good}, {"plate": "KZGS97", "check_digit": bad}]), "t"
    )
    assert s.match(read("BBCL12")) is not None
    assert s.match(read("KZGS97")) is None
    assert s.status().skipped_entries == 1


def test_delta_chain_applies_in_order(store: HotlistStore, key: Ed25519PrivateKey) -> None:
    assert store.apply_bytes(delta(key, 1, 2, [{"plate": "PRTV11"}], remove=["KZGS97"]), "t") == "applied"
    assert store.apply_bytes(delta(key, 2, 3, [{"plate": "PRTV12"}]), "t") == "applied"
    assert store.apply_bytes(delta(key, 3, 4, [{"plate": "PRTV11", "reason": "recuperado?"}]), "t") == "applied"
    assert store.version() == 4
    assert store.match(read("KZGS97", "car")) is None
    m = store.match(read("PRTV11", "car"))
    assert m is not None and m.entry.reason == "recuperado?" and m.list_version == 4
    assert store.match(read("PRTV12", "car")) is not None
    assert store.apply_bytes(delta(key, 3, 4, [{"plate": "PRTV13"}]), "t") == "unchanged"  # redelivered
    assert store.apply_bytes(delta(key, 5, 6, [{"plate": "PRTV13"}]), "t") == "refused"  # gap 4 -> 5
    assert (store.status().last_refusal or "").startswith("gap")
    assert store.match(read("PRTV13", "car")) is None


def test_checkpoint_folds_the_wal_into_the_file_and_keeps_the_list(store: HotlistStore) -> None:
    wal = Path(f"{store.path}-wal")
    assert wal.stat().st_size > 0  # the snapshot's pages are still in the log
    before = store.path.stat().st_size
    store.checkpoint()
    assert wal.stat().st_size == 0
    assert store.path.stat().st_size > before
    assert store.match(read("KZGS97", "car")) is not None


def test_csv_local_list_is_unsigned_and_kept_apart(
    tmp_path: Path, make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    csv = tmp_path / "hotlist.csv"
    csv.write_text(
        "plate,list_name,reason,priority,source,note,covert\n"
        "BBCL12,demo,robo,2,carabineros,,0\nHJPS44,demo,encargo,5,fiscalia,nota,1\nnot a plate!,demo,x,1,,,0\n"
    )
    s = make_store(csv=str(csv))
    st = s.status()
    assert (st.entries, st.local_entries, st.version, st.stale) == (2, 2, None, True)
    m = s.match(read("HJPS44"))
    assert m is not None and m.entry.covert and m.entry.source == "fiscalia"
    s.apply_bytes(snapshot(key, 1, [{"plate": "KZGS97"}]), "t")  # a signed snapshot leaves local entries alone
    assert s.match(read("BBCL12")) is not None and s.match(read("KZGS97")) is not None


FORMATS = ("car", "car_old", "moto", "moto_old")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    listed=st.lists(st.tuples(st.sampled_from(FORMATS), st.integers(0, 2**32)), min_size=1, max_size=30),
    noise=st.integers(0, 2**32),
)
def test_exact_never_missed(key: Ed25519PrivateKey, listed: list[tuple[str, int]], noise: int) -> None:
    plates = sorted({random_plate(random.Random(seed), fmt) for fmt, seed in listed})
    rng = random.Random(noise)
    # Noise the matcher must look past: confusable neighbours, wildcards and expired duplicates.
    extra: list[dict[str, Any]] = [{"plate": v} for p in plates[:3] for v in sorted(confusable_variants(p))[:2]]
    extra += [{"plate": plates[0][:2] + "*", "priority": 9}]
    records = [{"plate": p, "priority": rng.randint(0, 5)} for p in plates] + extra
    with tempfile.TemporaryDirectory() as tmp:
        cfg = HotlistConfig(csv=None, db=f"{tmp}/h.sqlite")
        s = HotlistStore(cfg.db, cfg, {keys.key_id(key.public_key()): key.public_key()})
        assert s.apply_bytes(snapshot(key, 1, records), "t") == "applied"
        for p in plates:
            m = s.match(read(p, plate_format(p)))
            assert m is not None and m.kind == "exact" and m.entry.plate == p, p
        s.close()


def test_a_dropped_character_may_cross_formats_through_an_alternative(store: HotlistStore) -> None:
    """A car plate read with a character lost (KZS97, a motorcycle, for the listed KZGS97): if the reader
    or the vote kept the car string among the alternatives, it is a fuzzy hit at distance 1."""
    m = store.match(read("KZS97", "moto", alts=("KZGS97",)))
    assert m is not None and (m.kind, m.distance, m.entry.plate) == ("fuzzy", 1, "KZGS97")
    assert store.match(read("KZS97", "moto")) is None  # no alternative: no guessing which char was lost
    assert store.match(read("KZS97", "moto", alts=("KZGS98",))) is None  # an alternative that is not listed
