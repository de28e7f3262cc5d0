"""The three sources against real peers: a watched file, a real local TLS server, a real mosquitto."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hotlist_helpers import delta, free_port, read, snapshot
from https_server import HotlistHttpServer
from paho.mqtt.enums import CallbackAPIVersion
from tls_certs import make_ca, write_pair

from anpr.hotlist.sources import FileSource, HttpsSource, MqttSource, build_sources
from anpr.hotlist.store import HotlistStore


def test_file_source_applies_on_change_only(
    tmp_path: Path, make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    store = make_store()
    path = tmp_path / "list.gz"
    src = FileSource(str(path), store, interval=0.05)
    assert src.sync_once() is None  # no file yet: nothing, no error
    path.write_bytes(snapshot(key, 1, [{"plate": "BBCL12"}]))
    assert src.sync_once() == "applied"
    assert src.sync_once() is None  # unchanged file is not re-read
    src.start()
    try:
        path.write_bytes(delta(key, 1, 2, [{"plate": "KZGS97"}]))
        deadline = time.monotonic() + 5
        while store.version() != 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        src.stop()
    assert store.version() == 2 and store.match(read("KZGS97")) is not None


# -- HTTPS ----------------------------------------------------------------------------------------------


def test_https_pull_with_etag(
    https_server: tuple[HotlistHttpServer, str, Path], make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey
) -> None:
    server, url, cert = https_server
    store = make_store(https_url=url, https_ca=str(cert))
    (src,) = build_sources(store.cfg, store)
    assert isinstance(src, HttpsSource)
    server.body = snapshot(key, 1, [{"plate": "BBCL12"}])
    assert src.sync_once() == "applied"
    assert src.sync_once() is None  # 304: nothing downloaded
    assert server.requests[-1].get("If-None-Match") and server.requests[-1].get("If-Modified-Since")
    assert store.status().last_sync_success is not None
    server.body = snapshot(None, 2, [{"plate": "KZGS97"}])  # unsigned on the server: refused
    assert src.sync_once() == "refused" and store.version() == 1
    server.body = snapshot(key, 2, [{"plate": "KZGS97"}])
    assert src.sync_once() == "applied" and store.match(read("KZGS97")) is not None


def test_https_untrusted_certificate_is_not_used(
    https_server: tuple[HotlistHttpServer, str, Path],
    make_store: Callable[..., HotlistStore],
    key: Ed25519PrivateKey,
    tmp_path: Path,
) -> None:
    server, url, _ = https_server
    _, other_ca = write_pair(make_ca("some other CA"), tmp_path, "other-ca")
    server.body = snapshot(key, 1, [{"plate": "BBCL12"}])
    store = make_store()
    src = HttpsSource(url, store, ca=str(other_ca), interval=1, timeout=5)
    assert src.sync_once() is None and store.version() is None
    assert server.requests == []  # the TLS handshake failed before any request
    assert store.status().last_sync_attempt is not None and store.status().last_sync_success is None


def test_https_dead_server(make_store: Callable[..., HotlistStore]) -> None:
    store = make_store()
    src = HttpsSource(f"https://127.0.0.1:{free_port()}/x", store, ca=None, interval=1, timeout=2)
    assert src.sync_once() is None and store.version() is None


# -- MQTT -----------------------------------------------------------------------------------------------


def _publish_retained(port: int, topic: str, payload: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    info = client.publish(topic, payload, qos=1, retain=True)
    info.wait_for_publish(timeout=10)
    assert info.is_published()
    client.disconnect()
    client.loop_stop()


def test_mqtt_retained_topic(
    mosquitto: int, make_store: Callable[..., HotlistStore], key: Ed25519PrivateKey, other_key: Ed25519PrivateKey
) -> None:
    store = make_store(mqtt=True, mqtt_host="127.0.0.1", mqtt_port=mosquitto, https_timeout_s=10)
    topic = "anpr/hotlist/national"
    _publish_retained(mosquitto, topic, snapshot(key, 1, [{"plate": "BBCL12"}]))
    (src,) = build_sources(store.cfg, store, "car-1")
    assert isinstance(src, MqttSource) and src.topic == topic
    assert src.sync_once() == "applied"  # the retained document arrives on subscribe
    assert store.version() == 1
    src.start()  # now follow the topic live
    try:
        _publish_retained(mosquitto, topic, snapshot(other_key, 2, [{"plate": "DRTW55"}]))  # refused
        _publish_retained(mosquitto, topic, delta(key, 1, 2, [{"plate": "KZGS97"}]))
        deadline = time.monotonic() + 10
        while store.version() != 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        src.stop()
    assert store.version() == 2 and store.match(read("DRTW55")) is None and store.match(read("KZGS97")) is not None
    assert store.match(read("BBCL12")) is not None
