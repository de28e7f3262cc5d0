"""The shipped mosquitto config (deploy/mosquitto) with accounts from `anpr control provision-*` (issue 17 D).

A real mosquitto 2 runs deploy/mosquitto/anpr.conf (paths and port moved into a temp folder, nothing else
changed): TLS only, no anonymous clients, a password and ACL block per car. Car A cannot publish as car
B, cannot issue a hotlist, cannot read car B; a wrong password is refused; the control room reads every
car and alone issues hotlists.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.control import ROOT, write_config
from helpers.hotlist import snapshot
from helpers.tls_certs import make_ca, make_leaf, write_pair
from helpers.uplink import MOSQUITTO, Mosquitto, make_event, wait_until
from paho.mqtt.enums import CallbackAPIVersion

from anpr.control.config import BrokerConfig, control_from_dict
from anpr.control.publish import publish_hotlist
from anpr.control.receiver import Receiver
from anpr.control.store import open_store
from anpr.hotlist import keys
from anpr.uplink.wire import event_to_json

pytestmark = pytest.mark.slow
DEPLOY = ROOT / "deploy" / "mosquitto"


class Client:
    """An MQTT 5 client over TLS; records CONNACK, PUBACK and SUBACK reason codes and received messages."""

    def __init__(self, port: int, ca: Path, user: str | None, password: str | None, cid: str) -> None:
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
        self.c.tls_set(ca_certs=str(ca))
        if user is not None:
            self.c.username_pw_set(user, password)
        self.connack: Any = None
        self.acks: dict[int, Any] = {}
        self.subacks: dict[int, list[Any]] = {}
        self.got: list[tuple[str, bytes]] = []
        self.connected = threading.Event()
        self.c.on_connect = self._on_connect
        self.c.on_publish = lambda _c, _u, mid, rc, _p: self.acks.__setitem__(mid, rc)
        self.c.on_subscribe = lambda _c, _u, mid, codes, _p: self.subacks.__setitem__(mid, codes)
        self.c.on_message = lambda _c, _u, m: self.got.append((m.topic, bytes(m.payload)))
        self.c.connect_async("127.0.0.1", port)
        self.c.loop_start()
        assert self.connected.wait(10)

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connack = rc
        self.connected.set()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> str:
        info = self.c.publish(topic, payload, qos=1, retain=retain)
        assert wait_until(lambda: info.mid in self.acks, 5)
        return str(self.acks[info.mid])

    def subscribe(self, topic: str) -> str:
        _r, mid = self.c.subscribe(topic, qos=1)
        assert mid is not None
        assert wait_until(lambda: mid in self.subacks, 5)
        return str(self.subacks[mid][0])

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def _provision(cfg: Path, kind: str, name: str, etc: Path, out: Path) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "anpr", "control", f"provision-{kind}", name, "-c", str(cfg), "--passwd",
         str(etc / "passwd"), "--acl", str(etc / "acl"), "--out", str(out)],
        capture_output=True, text=True, cwd=str(ROOT), timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return (out / f"{name}.password").read_text().strip()


@pytest.fixture
def deployed(tmp_path: Path) -> Any:
    if MOSQUITTO is None:
        pytest.skip("mosquitto not installed (apt-get install mosquitto)")
    etc, out = tmp_path / "etc", tmp_path / "out"
    etc.mkdir()
    (etc / "acl").write_text((DEPLOY / "acl").read_text())  # the shipped header, kept by provisioning
    ca = make_ca("anpr-test-ca")
    write_pair(ca, etc, "ca")
    write_pair(make_leaf(ca, "localhost", server=True), etc, "broker")
    cfg = write_config(tmp_path / "control.toml", 1, 8080, f"sqlite:///{tmp_path / 'control.sqlite'}")
    passwords = {n: _provision(cfg, "car", n, etc, out) for n in ("car-a", "car-b")}
    passwords["anpr-control"] = _provision(cfg, "control", "anpr-control", etc, out)
    snippet = (out / "car-a.toml").read_text()
    assert 'username = "car-a"' in snippet and "tls = true" in snippet
    broker = Mosquitto(tmp_path)
    conf = (DEPLOY / "anpr.conf").read_text()
    conf = conf.replace("/etc/mosquitto/anpr/", f"{etc}/").replace("/var/lib/mosquitto/", f"{tmp_path}/")
    conf = conf.replace("listener 8883\n", f"listener {broker.port} 127.0.0.1\n")
    broker.conf.write_text(conf + ("user root\n" if os.geteuid() == 0 else ""))
    broker.start()
    yield broker, etc, out, passwords, tmp_path
    broker.stop()


def test_car_acl_matrix(deployed: Any) -> None:
    broker, etc, out, pw, tmp = deployed
    ca = etc / "ca.crt"
    port = broker.port
    matrix: list[tuple[str, str]] = []

    wrong = Client(port, ca, "car-a", "not-the-password", "car-a-wrong")
    anon = Client(port, ca, None, None, "anon")
    matrix += [("car-a, wrong password: connect", str(wrong.connack)), ("anonymous: connect", str(anon.connack))]
    assert wrong.connack.is_failure and anon.connack.is_failure
    wrong.close()
    anon.close()

    store = open_store(f"sqlite:///{tmp / 'control.sqlite'}")
    bcfg = BrokerConfig(host="127.0.0.1", port=port, tls=True, ca_file=str(ca), username="anpr-control",
                        password_file=str(out / "anpr-control.password"))  # fmt: skip
    rx = Receiver(bcfg, store, client_id="anpr-control-test")
    rx.start()
    car_a = Client(port, ca, "car-a", pw["car-a"], "car-a")
    car_b = Client(port, ca, "car-b", pw["car-b"], "car-b")
    try:
        assert rx.connected.wait(10), rx.last_error
        assert not car_a.connack.is_failure
        own = make_event("hit", device="car-a")
        matrix.append(("car-a: publish anpr/car-a/hit", car_a.publish("anpr/car-a/hit", event_to_json(own))))
        status = b'{"state":"online","device_id":"car-a"}'
        matrix.append(("car-a: retained anpr/car-a/status", car_a.publish("anpr/car-a/status", status, True)))
        spoof = make_event("hit", device="car-b")
        matrix.append(("car-a: publish anpr/car-b/hit", car_a.publish("anpr/car-b/hit", event_to_json(spoof))))
        matrix.append(("car-a: retained anpr/hotlist/robados",
                       car_a.publish("anpr/hotlist/robados", b"forged", retain=True)))  # fmt: skip
        matrix.append(("car-a: subscribe anpr/car-b/#", car_a.subscribe("anpr/car-b/#")))
        matrix.append(("car-a: subscribe anpr/hotlist/#", car_a.subscribe("anpr/hotlist/#")))
        # mosquitto 2's acl_file grants the subscription but withholds every message the ACL does not let in
        theirs = make_event("read", device="car-b")
        matrix.append(("car-b: publish anpr/car-b/read", car_b.publish("anpr/car-b/read", event_to_json(theirs))))
        matrix.append(("car-b: subscribe anpr/hotlist/#", car_b.subscribe("anpr/hotlist/#")))

        assert wait_until(lambda: own.event_id in store.event_ids(), 5)
        assert wait_until(lambda: [c["state"] for c in store.cars() if c["device_id"] == "car-a"] == ["online"], 5)
        time.sleep(0.5)
        assert spoof.event_id not in store.event_ids()  # refused by the broker: never reached the receiver
        assert not car_a.got and not car_b.got  # neither car B's read nor the forged hotlist reached anyone
        matrix.append(("car-a: receive car-b's read", "not delivered"))
        assert wait_until(lambda: theirs.event_id in store.event_ids(), 5)  # the control room did get it

        key = Ed25519PrivateKey.generate()
        doc = snapshot(key, 7, [{"plate": "BBCL12"}], list_name="robados")
        ccfg = control_from_dict({
            "database_url": f"sqlite:///{tmp / 'control.sqlite'}", "broker": bcfg.model_dump(),
            "hotlist": {"trusted_keys": [keys.public_b64(key.public_key())]},
        })  # fmt: skip
        pub = publish_hotlist(ccfg, doc, store)
        matrix.append(("control room: retained anpr/hotlist/robados", "Success"))
        assert pub.version == 7
        issued = ("anpr/hotlist/robados", doc)
        assert wait_until(lambda: issued in car_a.got and issued in car_b.got, 5)
    finally:
        print("\n" + "\n".join(f"{what:<45} {rc}" for what, rc in matrix))
        car_a.close()
        car_b.close()
        rx.stop()
        store.close()
    results = dict(matrix)
    assert results["car-a: publish anpr/car-a/hit"] == "Success"
    assert results["car-a: retained anpr/car-a/status"] == "Success"
    assert results["car-a: publish anpr/car-b/hit"] == "Not authorized"
    assert results["car-a: retained anpr/hotlist/robados"] == "Not authorized"
    assert results["car-b: publish anpr/car-b/read"] == "Success"
    assert results["car-a: subscribe anpr/hotlist/#"] == "Granted QoS 1"


def test_provisioning_again_replaces_the_account(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "control.toml", 1, 8080, f"sqlite:///{tmp_path / 'c.sqlite'}")
    etc, out = tmp_path / "etc", tmp_path / "out"
    first = _provision(cfg, "car", "car-a", etc, out)
    _provision(cfg, "car", "car-b", etc, out)
    second = _provision(cfg, "car", "car-a", etc, out)
    assert first != second
    lines = (etc / "passwd").read_text().splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["car-b", "car-a"] and lines[1].split(":")[1].startswith("$7$")
    acl = (etc / "acl").read_text()
    assert acl.count("user car-a\n") == 1 and "topic write anpr/car-a/#" in acl
    assert oct((out / "car-a.password").stat().st_mode & 0o777) == "0o600"
    r = subprocess.run([sys.executable, "-m", "anpr", "control", "provision-car", "hotlist", "-c", str(cfg),
                        "--passwd", str(etc / "passwd"), "--acl", str(etc / "acl"), "--out", str(out)],
                       capture_output=True, text=True, cwd=str(ROOT), timeout=60)  # fmt: skip
    assert r.returncode == 2 and "hotlist" in r.stderr
