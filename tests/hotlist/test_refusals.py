"""Every refusal keeps the held list answering, is logged with its reason and shows in the status."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.hotlist import Records, delta, read, snapshot

from anpr.hotlist import document, keys
from anpr.hotlist.base import DocumentRefused
from anpr.hotlist.store import HotlistStore

V1: Records = [{"plate": "BBCL12", "reason": "robo", "priority": 2}, {"plate": "KX1234", "reason": "encargo"}]
NEW: Records = [{"plate": "DRTW55", "reason": "robo"}]


def _tamper(doc: bytes) -> bytes:
    """Change the body but keep the signature line: a valid gzip whose signature no longer fits."""
    header, _, body = gzip.decompress(doc).partition(b"\n")
    return gzip.compress(header + b"\n" + body.replace(b"DRTW55", b"DRTW56"))


CASES: dict[str, tuple[str, Callable[[Ed25519PrivateKey, Ed25519PrivateKey], bytes]]] = {
    "unsigned": ("unsigned", lambda k, o: snapshot(None, 2, NEW)),
    "other key": ("unknown-key", lambda k, o: snapshot(o, 2, NEW)),
    "tampered": ("bad-signature", lambda k, o: _tamper(snapshot(k, 2, NEW))),
    "truncated": ("truncated", lambda k, o: snapshot(k, 2, NEW)[:-20]),
    "not gzip": ("malformed", lambda k, o: b'{"plate": "DRTW55"}'),
    "older": ("older-version", lambda k, o: snapshot(k, 0, NEW)),
    "gap": ("gap", lambda k, o: delta(k, 2, 3, NEW)),
    "wrong list": ("wrong-list", lambda k, o: snapshot(k, 2, NEW, list_name="regional")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_document_keeps_old_list(
    case: str,
    make_store: Callable[..., HotlistStore],
    key: Ed25519PrivateKey,
    other_key: Ed25519PrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reason, build = CASES[case]
    store = make_store()
    assert store.apply_bytes(snapshot(key, 1, V1), "test") == "applied"
    with caplog.at_level(logging.WARNING, logger="anpr.hotlist.store"):
        assert store.apply_bytes(build(key, other_key), "test-source") == "refused"
    assert store.version() == 1
    hit = store.match(read("BBCL12"))
    assert hit is not None and hit.kind == "exact" and hit.entry.reason == "robo"
    assert store.match(read("DRTW55")) is None and store.match(read("DRTW56")) is None
    st = store.status()
    assert st.last_refusal is not None and st.last_refusal.startswith(reason + ":")
    assert st.entries == 2
    assert any(reason in r.getMessage() and "test-source" in r.getMessage() for r in caplog.records)


def test_refusal_survives_reopen_and_clears_on_success(
    make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    store = make_store()
    store.apply_bytes(snapshot(key, 1, V1), "t")
    store.apply_bytes(snapshot(None, 2, NEW), "t")
    store.close()
    again = make_store()
    assert again.version() == 1 and (again.status().last_refusal or "").startswith("unsigned")
    assert again.apply_bytes(snapshot(key, 2, NEW), "t") == "applied"
    assert again.status().last_refusal is None and again.version() == 2


def test_no_trusted_key_refuses_everything(make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey) -> None:
    store = make_store(trusted_keys=())
    assert store.apply_bytes(snapshot(key, 1, V1), "t") == "refused"
    assert store.version() is None and store.status().stale


def test_gzip_bomb_refused(key: Ed25519PrivateKey) -> None:
    big = snapshot(key, 1, [{"plate": "BBCL12", "note": "x" * 200_000}])
    with pytest.raises(DocumentRefused) as err:
        document.decode(big, {keys.key_id(key.public_key()): key.public_key()}, max_bytes=100_000)
    assert err.value.reason == "too-large"


def test_trusted_key_from_file_and_pem(tmp_path, key: Ed25519PrivateKey) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    b64 = tmp_path / "k.pub"
    b64.write_text(keys.public_b64(key.public_key()) + "\n")
    pem = tmp_path / "k.pem"
    pem.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    ids = keys.load_trusted([str(b64), str(pem), keys.public_b64(key.public_key())])
    assert list(ids) == [keys.key_id(key.public_key())]
    with pytest.raises(ValueError, match="not a base64"):
        keys.load_public_key("not-a-key")


def test_documents_follow_the_published_schema(key: Ed25519PrivateKey) -> None:
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "hotlist-document.v1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    full = [*V1, {"plate": "BB?L1*", "covert": True, "expires_at": "2030-01-01T00:00:00+00:00", "check_digit": "K"}]
    for doc in (snapshot(key, 1, full), delta(key, 1, 2, NEW, remove=["BBCL12"])):
        body = json.loads(gzip.decompress(doc).split(b"\n", 1)[1])
        jsonschema.validate(body, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"format": "anpr-hotlist", "schema": 1, "list": "x", "kind": "delta", "version": 2}, schema)
