"""Hostile hotlist documents are refused within bounded memory, from a file and from the MQTT topic.

Each case runs in its own Python process that measures its peak RSS (`VmHWM`) against its RSS once
the modules are imported: the steady state of a unit. The bombs are real gzip streams built here.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion

from anpr.hotlist import document, keys

LIMIT_MB = 64  # the bound above the steady state, whatever the document claims
BOMB = 256 << 20  # inflated size of each bomb (the old reader held all of it, and more)


def _gzip_stream(parts: Iterator[bytes]) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [z.compress(p) for p in parts]
    out.append(z.flush())
    return b"".join(out)


def _zeros(n: int, fill: bytes = b"0") -> Iterator[bytes]:
    chunk = fill * (1 << 20)
    for _ in range(n >> 20):
        yield chunk


def header_bomb() -> bytes:
    """A first line that never ends: 256 MiB without a newline."""
    return _gzip_stream(iter([b'{"alg":"ed25519","key_id":"', *_zeros(BOMB, b"A")]))


def v2(kid: str, claimed: int, key: Ed25519PrivateKey | None) -> bytes:
    """A signature line naming a trusted key over a 256 MiB body: signed by `key`, or forged (None)."""
    header: dict[str, object] = {"v": 2, "alg": "ed25519", "key_id": kid, "body_bytes": claimed}
    header["body_sha256"] = "0" * 64
    sig = key.sign(document.canonical(header)) if key is not None else b"\0" * 64
    header["sig"] = base64.b64encode(sig).decode()
    return _gzip_stream(iter([document.canonical(header) + b"\n", *_zeros(BOMB)]))


def forged_v1(kid: str) -> bytes:
    """A version-1 signature line (signature over the body): the body is read, but only up to the limit."""
    header = {"alg": "ed25519", "key_id": kid, "sig": base64.b64encode(b"\0" * 64).decode()}
    return _gzip_stream(iter([document.canonical(header) + b"\n", *_zeros(BOMB)]))


_CHILD = textwrap.dedent(
    """
    import json, sys
    import paho.mqtt.client  # noqa: F401  steady state: everything a unit has loaded
    from anpr.hotlist.config import HotlistConfig
    from anpr.hotlist.sources import FileSource, MqttSource
    from anpr.hotlist import build_hotlist
    from anpr.bench.stats import peak_rss_mb, rss_mb

    spec = json.loads(sys.argv[1])
    store = build_hotlist(HotlistConfig(**spec["cfg"]), spec["state"])
    with open(spec["state"] + "/warmup.gz", "wb") as fh:  # a unit that has already refused a document
        fh.write(bytes([0x1F, 0x8B]) + b" not really")
    FileSource(spec["state"] + "/warmup.gz", store).sync_once()
    base = rss_mb()
    if spec["via"] == "file":
        result = FileSource(spec["path"], store).sync_once()
    else:
        result = MqttSource(store.cfg, store).sync_once()
    peak = peak_rss_mb()  # VmHWM, this process's own peak (ru_maxrss would count the forking pytest too)
    print(json.dumps({"result": result, "base_mb": base, "peak_mb": peak,
                      "refusal": store.status().last_refusal, "version": store.version()}))
    """
)


def _run_child(spec: dict[str, object]) -> dict[str, object]:
    res = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(spec)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    out: dict[str, object] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory, key: Ed25519PrivateKey) -> dict[str, tuple[Path, str]]:
    kid = keys.key_id(key.public_key())
    folder = tmp_path_factory.mktemp("bombs")
    cases = {
        "header": (header_bomb(), "malformed"),
        "forged v2": (v2(kid, BOMB, None), "bad-signature"),
        "signed v2, too large": (v2(kid, BOMB, key), "too-large"),
        "signed v2, body longer than signed": (v2(kid, 1000, key), "bad-signature"),
        "forged v1": (forged_v1(kid), "too-large"),
    }
    out = {}
    for name, (data, reason) in cases.items():
        path = folder / (name.replace(" ", "_").replace(",", "") + ".gz")
        path.write_bytes(data)
        out[name] = (path, reason)
    return out


def _cfg(key: Ed25519PrivateKey, **extra: object) -> dict[str, object]:
    return {"csv": None, "trusted_keys": [keys.public_b64(key.public_key())], **extra}


CASES = ["header", "forged v2", "signed v2, too large", "signed v2, body longer than signed", "forged v1"]


@pytest.mark.parametrize("case", CASES)
def test_bomb_from_a_file_is_refused_in_bounded_memory(
    case: str, bombs: dict[str, tuple[Path, str]], key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    path, reason = bombs[case]
    out = _run_child({"via": "file", "path": str(path), "state": str(tmp_path), "cfg": _cfg(key)})
    assert out["result"] == "refused" and out["version"] is None
    assert str(out["refusal"]).startswith(reason), out["refusal"]
    grown_mb = float(str(out["peak_mb"])) - float(str(out["base_mb"]))
    print(f"{case}: refused ({out['refusal']}), peak {grown_mb:.1f} MB above the steady state")
    assert grown_mb < LIMIT_MB, f"{case}: peak {grown_mb:.0f} MB above the steady state"


def test_bomb_on_the_retained_mqtt_topic_is_refused_in_bounded_memory(
    bombs: dict[str, tuple[Path, str]], key: Ed25519PrivateKey, tmp_path: Path, mosquitto: int
) -> None:
    path, reason = bombs["forged v2"]
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", mosquitto)
    pub.loop_start()
    try:
        pub.publish("anpr/hotlist/national", path.read_bytes(), qos=1, retain=True).wait_for_publish(10)
    finally:
        pub.loop_stop()
        pub.disconnect()
    cfg = _cfg(key, mqtt=True, mqtt_host="127.0.0.1", mqtt_port=mosquitto, https_timeout_s=10.0)
    out = _run_child({"via": "mqtt", "state": str(tmp_path), "cfg": cfg})
    assert out["result"] is None  # nothing applied: the source waited for an acceptable document
    assert str(out["refusal"]).startswith(reason), out["refusal"]
    grown_mb = float(str(out["peak_mb"])) - float(str(out["base_mb"]))
    print(f"MQTT forged v2: refused ({out['refusal']}), peak {grown_mb:.1f} MB above the steady state")
    assert grown_mb < LIMIT_MB, f"MQTT bomb: peak {grown_mb:.0f} MB above the steady state"


def test_a_document_over_the_size_limit_is_refused_before_reading_it_whole(
    key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    big = tmp_path / "big.gz"
    big.write_bytes(b"\x1f\x8b" + b"\0" * (2 << 20))
    out = _run_child({"via": "file", "path": str(big), "state": str(tmp_path), "cfg": _cfg(key, max_document_mb=1)})
    assert out["result"] == "refused"
    assert str(out["refusal"]).startswith("too-large")
