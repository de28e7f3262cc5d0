"""The publisher against a real mosquitto on loopback: delivery, topics, status, will, auth, versions."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from helpers.uplink import Mosquitto, Subscriber, make_event, wait_until
from paho.mqtt.enums import CallbackAPIVersion

from anpr.uplink.config import UplinkConfig
from anpr.uplink.mqtt import PublisherError, acknowledged, queued
from anpr.uplink.sink import UplinkSink, build_uplink


def cfg_for(port: int, **kw: Any) -> UplinkConfig:
    base: dict[str, Any] = dict(enabled=True, host="127.0.0.1", port=port, reconnect_min_s=1, reconnect_max_s=2,
                                status_interval_s=1, alert_log=False)  # fmt: skip
    base.update(kw)
    return UplinkConfig(**base)


def uplink(cfg: UplinkConfig, tmp_path: Path, status: Callable[[], dict[str, Any]] | None = None) -> UplinkSink:
    sink = build_uplink(cfg, "car-7", tmp_path / "state", status)
    assert isinstance(sink, UplinkSink)
    return sink


def test_events_delivered_on_their_topics_and_valid(
    broker: Mosquitto, subscriber_factory: Callable[..., Subscriber], tmp_path: Path
) -> None:
    sub = subscriber_factory(broker.port)
    assert sub.subscribed.wait(5)
    status = {"fps": {"front": 24.5}, "fix_age_s": 0.4, "hotlist": {"version": 42, "age_s": 60}}
    sink = uplink(cfg_for(broker.port), tmp_path, lambda: status)
    events = [make_event("hit" if i % 5 == 0 else "read", plate=f"BBCD{i:02d}") for i in range(60)]
    for ev in events:
        sink.submit(ev)
    assert wait_until(lambda: len(sub.ids()) == 60, 15), len(sub.ids())
    assert sub.ids() == {e.event_id for e in events}
    assert not sub.invalid
    assert all(sub.kinds[e.event_id] == e.kind for e in events)
    assert wait_until(lambda: sink.outbox.stats().pending_reads == 0, 5)
    assert wait_until(lambda: sub.status is not None and "fps" in sub.status, 5)
    assert sub.status is not None
    assert sub.status["state"] == "online" and sub.status["fps"] == {"front": 24.5}
    assert wait_until(lambda: sub.status is not None and sub.status.get("outbox", {}).get("pending_hits") == 0, 5)
    audit = [k for _, _, k, _ in sink.outbox.audit_rows()]
    assert audit.count("hit") == 12
    sink.close(3)
    assert wait_until(lambda: sub.status is not None and sub.status["state"] == "offline", 5)


def test_status_is_retained_and_last_will_says_offline(
    broker: Mosquitto, subscriber_factory: Callable[..., Subscriber], tmp_path: Path
) -> None:
    state = tmp_path / "s"
    proc = subprocess.Popen(
        [sys.executable, "-m", "anpr.bench.drill", "--port", str(broker.port), "--state", str(state), "--count", "1",
         "--linger", "60", "--device", "will"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    late = subscriber_factory(broker.port, "anpr/will/status")
    assert wait_until(lambda: late.status is not None and late.status["state"] == "online", 10)  # retained
    proc.kill()  # SIGKILL: no goodbye, the broker sends the will
    proc.wait()
    assert wait_until(lambda: late.status is not None and late.status["state"] == "offline", 10)


def test_reads_switched_off(broker: Mosquitto, subscriber_factory: Callable[..., Subscriber], tmp_path: Path) -> None:
    sub = subscriber_factory(broker.port)
    assert sub.subscribed.wait(5)
    sink = uplink(cfg_for(broker.port, publish_reads=False), tmp_path)
    hits = [make_event("hit") for _ in range(3)]
    reads = [make_event("read") for _ in range(5)]
    for ev in reads + hits:
        sink.submit(ev)
    assert wait_until(lambda: len(sub.ids()) == 3, 10)
    assert wait_until(lambda: sink.outbox.stats().pending_reads == 0, 5)
    sink.close(2)
    assert sub.ids() == {e.event_id for e in hits}
    assert sink.outbox is not None


@pytest.mark.parametrize("version", ["5", "3.1.1"])
def test_password_auth_and_both_protocols(
    mosquitto_factory: Callable[..., Mosquitto], subscriber_factory: Callable[..., Subscriber], tmp_path: Path,
    version: str, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pwfile = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(pwfile), "car7", "s3cret"], check=True, capture_output=True)
    pwfile.chmod(0o600)
    b = mosquitto_factory(f"password_file {pwfile}\n", start=False)
    b.conf.write_text(b.conf.read_text().replace("allow_anonymous true", "allow_anonymous false"))
    b.start()
    secret = tmp_path / "mqtt.pass"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("ANPR_TEST_PW", "wrong")
    bad = uplink(cfg_for(b.port, username="car7", password_env="ANPR_TEST_PW", mqtt_version=version), tmp_path / "a")
    publisher = bad.publisher
    assert publisher is not None
    assert wait_until(lambda: publisher.last_error is not None, 10)
    assert "refused" in str(publisher.last_error).lower()
    bad.close(0.5)
    good = uplink(cfg_for(b.port, username="car7", password_file=str(secret), mqtt_version=version), tmp_path / "b")
    ev = make_event("hit")
    good.submit(ev)
    assert wait_until(lambda: good.outbox.stats().pending_hits == 0, 10)
    assert good.publisher is not None and good.publisher.published == 1
    good.close(1)


def test_missing_password_env_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PublisherError, match="NOPE_NOT_SET is not set"):
        build_uplink(cfg_for(1883, username="u", password_env="NOPE_NOT_SET"), "car-7", tmp_path, None)


def test_status_payload_shape(broker: Mosquitto, tmp_path: Path) -> None:
    sink = uplink(cfg_for(broker.port), tmp_path, lambda: {"models": {"detector": "yolo-1"}})
    assert sink.publisher is not None
    body = json.loads(sink.publisher._status_payload("online"))
    assert body["models"] == {"detector": "yolo-1"}
    assert set(body["outbox"]) == {"pending_hits", "pending_reads", "oldest_age_s", "evicted_reads", "disk_full"}
    sink.close(1)


def test_a_publish_as_the_connection_drops_is_tracked_to_its_puback(
    mosquitto_factory: Callable[..., Mosquitto],
) -> None:
    """Drill 2's stall: paho answers a publish made just after the connection dropped with NO_CONN, keeps the
    message and sends it on reconnect, but its info keeps that rc and `is_published()` raises for ever; the
    publisher thread failed on it at every step and delivered nothing more until a restart."""
    b = mosquitto_factory()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="drop-test", protocol=mqtt.MQTTv5)
    client.reconnect_delay_set(1, 1)
    client.connect("127.0.0.1", b.port)
    client.loop_start()
    try:
        assert wait_until(client.is_connected, 5)
        b.stop()
        assert wait_until(lambda: not client.is_connected(), 5)
        raw = client.publish("anpr/car-7/read", b"{}", qos=1)
        assert raw.rc == mqtt.MQTT_ERR_NO_CONN
        with pytest.raises(RuntimeError):
            raw.is_published()  # paho's own answer: what stalled the publisher
        info = queued(raw)
        assert acknowledged(info) is False  # waiting, not failed
        b.start()
        assert wait_until(lambda: acknowledged(info) is True, 15), "the PUBACK after the reconnect was not seen"
        full = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="full-test", protocol=mqtt.MQTTv5)
        full.max_queued_messages_set(1)
        full.publish("anpr/car-7/read", b"{}", qos=1)
        refused = full.publish("anpr/car-7/read", b"{}", qos=1)  # paho's queue is full: given up at once
        assert acknowledged(queued(refused)) is None  # the publisher drops it and the outbox sends it again
    finally:
        client.disconnect()
        client.loop_stop()
