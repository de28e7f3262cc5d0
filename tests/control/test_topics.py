"""The receiver hears every topic a car publishes, and only those: a real car uplink, a real mosquitto, the real
receiver and a real SQLite store.

Topics are `{prefix}/{device}/{hit|read|status}` (docs DESIGN, anpr.uplink.mqtt); the prefix may have levels
(`anpr/site-1`), a device id has none (its pattern has no `/`). Beside them the control room's own signed
documents sit on `{prefix}/hotlist/{list}`, which a car subscription matches when a list is named hit, read
or status: those are not car messages and must not fill the quarantine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from helpers.uplink import Mosquitto, make_event, wait_until
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError

from anpr.app.config import ConfigError, from_dict
from anpr.control.config import BrokerConfig
from anpr.control.receiver import Receiver
from anpr.control.store import Store, open_store
from anpr.hotlist.config import HotlistConfig
from anpr.uplink.config import UplinkConfig
from anpr.uplink.sink import UplinkSink, build_uplink


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'control.sqlite'}")
    yield s
    s.close()


def _receiver(broker: Mosquitto, store: Store, prefix: str) -> Receiver:
    rx = Receiver(BrokerConfig(host="127.0.0.1", port=broker.port, prefix=prefix), store, client_id="rx-topics")
    rx.start()
    assert rx.connected.wait(10), rx.last_error
    return rx


def _car(broker: Mosquitto, tmp_path: Path, prefix: str, device: str) -> UplinkSink:
    cfg = UplinkConfig(enabled=True, host="127.0.0.1", port=broker.port, prefix=prefix, alert_log=False,
                       status_interval_s=1, reconnect_min_s=1, reconnect_max_s=1)  # fmt: skip
    sink = build_uplink(cfg, device, tmp_path / device, lambda: {"models": {"reader": "ppocr-2"}})
    assert isinstance(sink, UplinkSink)
    return sink


@pytest.mark.parametrize("prefix", ["anpr", "anpr/site-1", "fleet/norte/anpr"])
def test_events_and_status_of_a_car_are_stored_under_any_prefix(
    broker: Mosquitto, store: Store, tmp_path: Path, prefix: str
) -> None:
    rx = _receiver(broker, store, prefix)
    car = _car(broker, tmp_path, prefix, "car-7.norte_2")  # every character a device id may have
    try:
        events = [make_event(k, device="car-7.norte_2", plate=f"BBCD{i}2") for i, k in enumerate(("hit", "read"))]
        for ev in events:
            car.submit(ev)
        assert wait_until(lambda: set(store.event_ids()) == {e.event_id for e in events}, 15), rx.counts
        assert wait_until(lambda: [c["device_id"] for c in store.cars()] == ["car-7.norte_2"], 10), rx.counts
        assert store.cars()[0]["state"] == "online"
        assert rx.counts["quarantined"] == 0 and store.quarantine() == []
    finally:
        car.close(1)
        rx.stop()


def test_hotlist_documents_on_a_car_leaf_are_not_quarantined(broker: Mosquitto, store: Store) -> None:
    """A list named status (or hit, read): its retained document matches `anpr/+/status`; the receiver leaves
    the control room's own documents alone, every restart, and still stores the cars' events."""
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="issuer", protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    try:
        for leaf in ("status", "hit", "read"):
            pub.publish(
                f"anpr/hotlist/{leaf}", b'{"format": "anpr-hotlist/1", "signature": "..."}', 1, True
            ).wait_for_publish(5)
        for _restart in range(2):  # retained: handed to the receiver again at each subscription
            rx = _receiver(broker, store, "anpr")
            ev = make_event("hit", device="car-7")
            pub.publish("anpr/car-7/hit", _json(ev), 1).wait_for_publish(5)
            assert wait_until(lambda: ev.event_id in store.event_ids(), 10), rx.counts  # noqa: B023
            rx.stop()
            assert rx.counts["quarantined"] == 0 and store.quarantine() == [], store.quarantine()
    finally:
        pub.disconnect()
        pub.loop_stop()


def _json(ev: Any) -> bytes:
    from anpr.uplink.wire import event_to_json

    return event_to_json(ev)


@pytest.mark.parametrize("bad", ["anpr/", "/anpr", "anpr//site", "anpr/+", "anpr/#"])
def test_a_prefix_with_an_empty_level_or_a_wildcard_is_refused_on_both_sides(bad: str) -> None:
    """`anpr/` made the car publish `anpr//car-7/hit`, which the receiver subscribed to and then quarantined
    every message of (it split the topic on the prefix without its slash)."""
    for make in (
        lambda: UplinkConfig(prefix=bad),
        lambda: BrokerConfig(prefix=bad),
        lambda: HotlistConfig(mqtt_prefix=bad),
    ):
        with pytest.raises(ValidationError, match="prefix"):
            make()


def test_a_car_may_not_be_called_hotlist() -> None:
    """Its topics would be the hotlist's (`anpr/hotlist/status`): the broker tool already refuses the account."""
    with pytest.raises(ConfigError, match="device_id 'hotlist' is reserved"):
        from_dict({"device_id": "hotlist"})
    assert from_dict({"device_id": "hotlist-2"}).device_id == "hotlist-2"
