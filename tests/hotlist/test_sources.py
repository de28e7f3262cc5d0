"""The three sources against real peers: a watched file, a real local TLS server, a real mosquitto."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.hotlist import delta, free_port, read, snapshot
from helpers.https_server import HotlistHttpServer
from helpers.tls_certs import make_ca, write_pair
from helpers.uplink import Mosquitto
from paho.mqtt.enums import CallbackAPIVersion

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


def _publish_retained(port: int, topic: str, payload: bytes, auth: tuple[str, str] | None = None) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if auth is not None:
        client.username_pw_set(*auth)
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


def test_mqtt_source_logs_in_to_a_password_protected_broker(
    mosquitto_factory: Callable[..., Mosquitto],
    make_store: Callable[..., HotlistStore],
    key: Ed25519PrivateKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A real mosquitto refusing anonymous clients: a wrong password is refused and said; the right one,
    from a file or from the environment, gets the retained list."""
    pwfile = tmp_path / "passwd"
    for user, pw in (("car7", "s3cret"), ("control", "pub-pw")):
        flags = ["-b", "-c"] if user == "car7" else ["-b"]
        subprocess.run(["mosquitto_passwd", *flags, str(pwfile), user, pw], check=True, capture_output=True)
    pwfile.chmod(0o600)
    b = mosquitto_factory(f"password_file {pwfile}\n", start=False)
    b.conf.write_text(b.conf.read_text().replace("allow_anonymous true", "allow_anonymous false"))
    b.start()
    _publish_retained(b.port, "anpr/hotlist/national", snapshot(key, 3, [{"plate": "KZGS97"}]), ("control", "pub-pw"))
    secret = tmp_path / "hotlist.pass"
    secret.write_text("s3cret\n")
    common = {
        "mqtt": True,
        "mqtt_host": "127.0.0.1",
        "mqtt_port": b.port,
        "mqtt_username": "car7",
        "https_timeout_s": 3,
    }

    monkeypatch.setenv("ANPR_HOTLIST_PW", "wrong")
    wrong = make_store(**common, mqtt_password_env="ANPR_HOTLIST_PW", db=str(tmp_path / "wrong.sqlite"))
    (src,) = build_sources(wrong.cfg, wrong, "car-7")
    with caplog.at_level(logging.WARNING, logger="anpr.hotlist.sources"):
        assert src.sync_once() is None
    assert wrong.version() is None and "connect refused" in caplog.text
    assert "wrong" not in caplog.text  # the password never reaches a log line

    for i, how in enumerate(({"mqtt_password_file": str(secret)}, {"mqtt_password_env": "ANPR_HOTLIST_PW"})):
        monkeypatch.setenv("ANPR_HOTLIST_PW", "s3cret")
        store = make_store(**common, **how, db=str(tmp_path / f"list{i}.sqlite"))
        (src,) = build_sources(store.cfg, store, "car-7")
        assert src.sync_once() == "applied", how
        assert store.version() == 3 and store.match(read("KZGS97")) is not None
