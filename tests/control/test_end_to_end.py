"""End to end: cars (real outbox + publisher processes) -> real mosquitto -> `anpr control serve` -> SQLite.

Car B is killed with SIGKILL mid-burst and restarted to drain its outbox (the re-send after a restart),
then every captured payload is published a second time: every promised event must be stored exactly once.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from helpers.control import ServeProcess, drill, free_port, get_json, get_status, promised_ids, wait_until, write_config
from helpers.uplink import Mosquitto, make_event
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from anpr.control.config import BrokerConfig
from anpr.control.receiver import Receiver
from anpr.control.store import open_store
from anpr.uplink.wire import event_to_json

pytestmark = pytest.mark.slow


class Capture:
    """Keeps every raw hit/read payload the broker hands out, to publish them all again later."""

    def __init__(self, port: int) -> None:
        self.payloads: list[tuple[str, bytes]] = []
        self.ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="capture", protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_: self.ready.set()
        self.client.on_message = lambda _c, _u, m: self.payloads.append((m.topic, bytes(m.payload)))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.ready.wait(5)

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        opts = SubscribeOptions(qos=1, noLocal=True)  # not our own re-sends
        client.subscribe([("anpr/+/hit", opts), ("anpr/+/read", opts)])

    def republish(self) -> None:
        infos = [self.client.publish(t, p, qos=1) for t, p in list(self.payloads)]
        for info in infos:
            info.wait_for_publish(10)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_two_cars_restart_and_resend_every_event_stored_once(tmp_path: Path, broker: Mosquitto) -> None:
    web = free_port()
    db = tmp_path / "control.sqlite"
    cfg = write_config(tmp_path / "control.toml", broker.port, web, f"sqlite:///{db}")
    serve = ServeProcess(cfg, web, tmp_path / "serve.log")
    cap = Capture(broker.port)
    try:
        car_a = drill(broker.port, tmp_path / "car-a", "car-a", 40)
        car_b = drill(broker.port, tmp_path / "car-b", "car-b", 400, "--rate", "300")
        # Kill car B with SIGKILL once it has promised 80 events: some are published, some still in its outbox.
        promised_b: set[str] = set()
        assert car_b.stdout is not None
        for line in car_b.stdout:
            promised_b |= promised_ids(line)
            if len(promised_b) >= 80:
                car_b.send_signal(signal.SIGKILL)
                break
        car_b.wait(10)
        promised_b |= promised_ids(car_b.stdout.read())  # lines already written before the kill
        out_a, err_a = car_a.communicate(timeout=60)
        assert "DRAINED" in out_a, err_a
        restarted = drill(broker.port, tmp_path / "car-b", "car-b", 0)  # same outbox: drains what was left
        out_b, err_b = restarted.communicate(timeout=60)
        assert "DRAINED" in out_b, err_b
        promised = promised_ids(out_a) | promised_b
        assert len(promised) >= 120

        # A malformed payload and an event on another car's topic: both quarantined with the reason.
        cap.publish("anpr/car-a/read", b'{"schema": "anpr.plate-event/1", "plate": 7')
        cap.publish("anpr/car-a/read", event_to_json(make_event("read", device="car-zz")))

        assert wait_until(lambda: promised <= set(open_store(f"sqlite:///{db}").event_ids()), 20), serve.stats()
        first = serve.stats()["receiver"]
        cap.republish()  # every event a second time, as a car would after losing its PUBACKs
        n = len(cap.payloads)
        assert n >= len(promised)
        assert wait_until(lambda: serve.stats()["receiver"]["duplicates"] >= first["duplicates"] + n, 20)

        store = open_store(f"sqlite:///{db}")
        ids = store.event_ids()
        sent = {json.loads(p)["event_id"] for _t, p in cap.payloads}  # what the broker carried, re-sends included
        # Every promised event, each once; at most the one car B was writing when killed comes on top.
        assert promised <= set(ids) == sent and len(ids) == len(set(ids)) <= len(promised) + 1
        counts = store.counts()
        assert counts["hits"] + counts["reads"] == len(ids) and counts["cars"] == 2
        quarantine = get_json(serve.url + "/api/quarantine")
        reasons = sorted(q["reason"] for q in quarantine)
        assert len(reasons) == 2
        assert reasons[0].startswith("device_id 'car-zz' on the topic of device 'car-a'")
        assert reasons[1].startswith("not JSON")

        # Exports for patrol planning, filtered like the page filters.
        gj = get_json(serve.url + "/api/export.geojson?kind=hit")
        assert len(gj["features"]) == counts["hits"] and all(f["properties"]["kind"] == "hit" for f in gj["features"])
        status, body = get_status(serve.url + "/api/export.csv?kind=read&device=car-a")
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert status == 200 and len(rows) == 32 and {r["device_id"] for r in rows} == {"car-a"}
        status, body = get_status(serve.url + "/api/events?plate=BB%25")
        assert status == 400 and "plate pattern" in json.loads(body)["error"]
        cars = {c["device_id"]: c for c in get_json(serve.url + "/api/cars")}
        assert set(cars) == {"car-a", "car-b"} and cars["car-a"]["reported_state"] == "offline"
        assert cars["car-a"]["hotlist_version"] == 1
        store.close()
    finally:
        cap.close()
        rc = serve.stop()
    assert rc == 0, (tmp_path / "serve.log").read_text()[-2000:]


def test_shared_subscription_splits_the_load_and_stores_once(tmp_path: Path, broker: Mosquitto) -> None:
    url = f"sqlite:///{tmp_path / 'control.sqlite'}"
    cfg = BrokerConfig(host="127.0.0.1", port=broker.port, shared_group="room")
    receivers = [Receiver(cfg, open_store(url), client_id=f"room-{i}") for i in range(2)]
    for r in receivers:
        r.start()
    try:
        assert all(r.connected.wait(10) for r in receivers)
        car = drill(broker.port, tmp_path / "car", "car-s", 300)
        out, err = car.communicate(timeout=60)
        assert "DRAINED" in out, err
        promised = promised_ids(out)
        store = open_store(url)
        assert wait_until(lambda: set(store.event_ids()) == promised, 20)
        shares = [r.counts["stored"] for r in receivers]
        assert sum(shares) == 300 and min(shares) > 0, shares  # both took part, nothing twice
        assert sum(r.counts["duplicates"] for r in receivers) == 0
        store.close()
    finally:
        for r in receivers:
            r.stop()
            r.store.close()
